"""Each preset demonstrates its claim, measured by the trainer (not asserted by hand)."""

import pytest

from models.config import RunConfig
from models.datasets import make_dataset, trivial_baseline
from models.fields import config_from_json, config_to_json, with_changes
from models.record import collect
from models.teaching.presets import PRESETS, get_preset
from models.trainer import Trainer, train


def initial_grad_norms(name: str) -> list[float]:
    """Per-Dense-layer gradient norm at step 0 (input first), stopping after the first call."""
    trainer = Trainer(get_preset(name).config())
    seen = []  # stop as soon as the first records arrived

    def tap(events):
        for event in events:
            seen.extend([event] if event["type"] == "records" else [])
            yield event

    result = collect(trainer.cfg, tap(trainer.events(lambda: bool(seen))))
    by_layer = {
        r["depth"]: r["value"]
        for r in result.metrics
        if r["name"] == "grad_norm" and r["step"] == 0 and r["layer"].startswith(("dense", "out"))
    }
    return [by_layer[d] for d in sorted(by_layer)]


def test_every_preset_is_a_valid_config_with_a_claim():
    assert {"vanishing_sigmoid", "relu_he", "exploding", "exploding_clipnorm", "dying_relu"} <= set(
        PRESETS
    )
    for preset in PRESETS.values():
        cfg = preset.config()
        # valid by the schema's own rules (model_construct would skip them), and its exported
        # JSON (run records, Import) restores it exactly
        assert RunConfig.model_validate(cfg.model_dump()) == cfg
        assert config_from_json(config_to_json(cfg)) == cfg
        assert preset.claim and preset.title
    with pytest.raises(KeyError, match="unknown preset"):
        get_preset("nope")


def test_vanishing_and_its_three_fixes():
    sigmoid = initial_grad_norms("vanishing_sigmoid")
    assert len(sigmoid) == 11
    assert sigmoid[0] / sigmoid[-1] < 1e-3, "first layer orders of magnitude below the last"
    for fix in ("relu_he", "sigmoid_batchnorm", "sigmoid_residual"):
        norms = initial_grad_norms(fix)
        assert norms[0] / sigmoid[0] > 1e3, f"{fix}: the first layer's gradient is far larger"
    relu = initial_grad_norms("relu_he")
    assert 0.1 < relu[0] / relu[-2] < 10, "ReLU + He: within an order of magnitude"


def test_exploding_diverges_and_clipnorm_tames_it_and_learns_on_three_seeds():
    for seed in range(3):
        seeded = {"train.seed": seed}
        wild = train(with_changes(get_preset("exploding").config(), seeded))
        assert wild.status == "diverged" and wild.diverged_at is not None, seed
        tamed = train(with_changes(get_preset("exploding_clipnorm").config(), seeded))
        assert tamed.status == "completed", seed
        clipped = [r for r in tamed.metrics if r["name"] == "grad_norm_clipped"]
        # clipnorm clips each variable alone: a Dense layer (kernel + bias) stays within sqrt(2)
        assert max(r["value"] for r in clipped) <= 2**0.5 + 1e-5
        assert max(r["value"] for r in tamed.metrics if r["name"] == "grad_norm") > 2**0.5
        val = tamed.final("val_loss")
        baseline = trivial_baseline(make_dataset(tamed.config.data))["loss"]
        assert val < 0.2 * baseline, ("the clipped net learns, not only survives", seed, val)


def test_dying_relu_and_the_leaky_fix_on_three_seeds():
    """At the preset's high learning rate many ReLU units end dead; LeakyReLU leaves at most
    half as many, and still learns: on seeds 0, 1 and 2, not one seed's luck. (A per-layer
    metric's final value is its mean over the layers.)"""
    for seed in range(3):
        seeded = {"train.seed": seed}
        relu = train(with_changes(get_preset("dying_relu").config(), seeded))
        leaky = train(with_changes(get_preset("dying_relu_leaky").config(), seeded))
        dead = relu.final("dead_fraction")
        assert dead >= 0.2, ("many ReLU units are dead for the whole batch", seed)
        assert leaky.final("dead_fraction") <= 0.5 * dead, ("fewer dead with LeakyReLU", seed)
        assert leaky.final("val_accuracy") >= 0.9, ("the LeakyReLU net learns", seed)


def test_relu_rnn_explodes_and_clipnorm_tames_it():
    wild = train(get_preset("rnn_relu_exploding").config())
    assert wild.status == "diverged" and wild.diverged_at is not None
    tamed = train(get_preset("rnn_relu_clipnorm").config())
    assert tamed.status == "completed"
    val = tamed.final("val_loss")
    assert val is not None and val < 0.25, "clipped, the loss stays near the 0.167 baseline"
    clipped = [r["value"] for r in tamed.metrics if r["name"] == "grad_norm_clipped"]
    # clipnorm clips each variable alone: a SimpleRNN layer has 3 (kernel, recurrent, bias)
    assert max(clipped) <= 0.02 * 3**0.5 + 1e-6


def test_cnn_learns_the_shapes_and_mean_pooling_shrinks_the_first_layers_gradient():
    results = {p: train(get_preset(p).config()) for p in ("cnn_shapes_max", "cnn_shapes_mean")}

    def at(result, name, step):
        return {
            r["layer"]: r["value"]
            for r in result.metrics
            if r["name"] == name and r["step"] == step
        }

    for name, result in results.items():
        assert result.status == "completed", name
        assert at(result, "val_accuracy", result.steps)[None] > 0.8, f"{name}: chance is 1/3"
        steps = [f["step"] for f in result.filters]
        assert steps[0] == 0 and steps[-1] == result.steps  # the filters, initial and trained
    wide, narrow = (at(results[p], "grad_norm", 0) for p in ("cnn_shapes_max", "cnn_shapes_mean"))
    # The same initial weights (pooling has none), so only the pooling rule differs.
    assert results["cnn_shapes_max"].filters[0] == results["cnn_shapes_mean"].filters[0]
    assert wide["conv_0"] / narrow["conv_0"] > 2, "several times smaller with mean pooling"


def test_the_vanishing_fixes_learn_where_the_sigmoid_net_does_not_on_three_seeds():
    """The lesson at the end of the runs, not one seed's luck: each fix ends far above chance on
    validation, the plain sigmoid net at chance, on seeds 0, 1 and 2."""

    def final_accuracy(name: str, seed: int) -> float:
        result = train(with_changes(get_preset(name).config(), {"train.seed": seed}))
        return result.final("val_accuracy")

    for seed in range(3):
        assert final_accuracy("vanishing_sigmoid", seed) < 0.65, seed
        for fix in ("relu_he", "sigmoid_batchnorm", "sigmoid_residual"):
            assert final_accuracy(fix, seed) > 0.9, (fix, seed)
