"""The data module: generated tasks, baselines, noise floors and plot grids (the CSV loader:
test_tables.py)."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import models.datasets as datasets_module
from models.config import DataConfig
from models.datasets import Dataset, grid_for, make_dataset, noise_floor, trivial_baseline
from models.tasks import IMAGE_SIZE, RECALL_CLASSES, SHAPES, TASKS
from models.trainer import train
from tests.support.csv_files import csv_config, table

TWO_D = [name for name, task in TASKS.items() if task.is_2d]
BINARY = [name for name, task in TASKS.items() if task.kind == "binary"]


def arrays(ds: Dataset) -> list[np.ndarray]:
    return [ds.x_train, ds.y_train, ds.x_test, ds.y_test]


# ---------------------------------------------------------------------------------------------
# Generated tasks


@pytest.mark.parametrize("name", list(TASKS))
def test_shapes_dtypes_and_split_sizes_follow_the_config(name):
    # Odd sizes catch off-by-one splits between the two classes and between train and test.
    cfg = DataConfig(name=name, n_samples=101, test_fraction=0.3, seq_len=7, noise=0.2, seed=3)
    ds = make_dataset(cfg)
    task = TASKS[name]
    assert ds.name == name and ds.task == task
    assert len(ds.x_train) == len(ds.y_train) == cfg.n_train
    assert len(ds.x_test) == len(ds.y_test) == cfg.n_test
    if task.is_sequence:
        assert ds.x_train.shape[1:] == (7, task.input_dim)
    elif task.is_image:
        assert ds.x_train.shape[1:] == (IMAGE_SIZE, IMAGE_SIZE, 1)
    else:
        assert ds.x_train.shape[1:] == (2,)
    assert ds.x_train.dtype == ds.x_test.dtype == np.float32
    if task.loss == "sparse_categorical_crossentropy":
        assert ds.y_train.shape == (cfg.n_train,) and ds.y_train.dtype == np.int32
        assert set(np.unique(ds.y_train)) <= set(range(task.n_outputs))
    else:
        assert ds.y_train.shape == (cfg.n_train, 1) and ds.y_train.dtype == np.float32
    if task.kind == "binary":
        assert set(np.unique(ds.y_train)) <= {0.0, 1.0}
    assert all(np.isfinite(a).all() for a in arrays(ds))


@pytest.mark.parametrize("name", list(TASKS))
def test_same_config_gives_identical_arrays_and_another_seed_does_not(name):
    cfg = DataConfig(name=name, n_samples=200, seq_len=6, noise=0.3, seed=11)
    first, again = make_dataset(cfg), make_dataset(cfg)
    for a, b in zip(arrays(first), arrays(again), strict=True):
        assert a.tobytes() == b.tobytes()
    other = make_dataset(cfg.model_copy(update={"seed": 12}))
    assert not np.array_equal(first.x_train, other.x_train)


def test_generation_does_not_touch_the_global_rng():
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    make_dataset(DataConfig(name="spiral", n_samples=50))
    assert np.random.random() == expected


@pytest.mark.parametrize("name", BINARY)
def test_binary_labels_are_roughly_balanced(name):
    ds = make_dataset(DataConfig(name=name, n_samples=2000, noise=0.5, seed=1))
    share = np.concatenate([ds.y_train, ds.y_test]).mean()
    assert 0.4 < share < 0.6


@pytest.mark.parametrize("name", TWO_D)
def test_2d_features_are_on_the_divided_by_5_scale(name):
    ds = make_dataset(DataConfig(name=name, n_samples=1000, noise=0.1))
    reach = np.abs(np.concatenate([ds.x_train, ds.x_test])).max()
    assert 0.8 < reach < 1.3  # Playground's radius 5-6 divided by 5; unscaled it would be ~5


def test_noise_free_circle_is_separable_by_radius():
    ds = make_dataset(DataConfig(name="circle", n_samples=1000, noise=0.0))
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])[:, 0]
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius[y == 1].max() < 0.5 < 0.7 <= radius[y == 0].min() + 1e-6


def test_circle_noise_flips_labels_but_leaves_the_points():
    clean = make_dataset(DataConfig(name="circle", n_samples=500, noise=0.0, seed=4))
    noisy = make_dataset(DataConfig(name="circle", n_samples=500, noise=1.0, seed=4))
    assert np.array_equal(clean.x_train, noisy.x_train)
    flipped = np.mean(clean.y_train != noisy.y_train)
    assert 0.05 < flipped < 0.5


def test_noise_free_xor_and_plane_match_their_formulas():
    xor = make_dataset(DataConfig(name="xor", n_samples=500, noise=0.0))
    assert np.array_equal(xor.y_train[:, 0], (xor.x_train[:, 0] * xor.x_train[:, 1] >= 0))
    assert np.abs(xor.x_train).min() >= 0.3 / 5 - 1e-6  # Playground's padding around the axes
    plane = make_dataset(DataConfig(name="plane", n_samples=500, noise=0.0))
    # Playground: label = (x + y) / 10 in its coordinates, i.e. (x + y) / 2 after dividing by 5.
    np.testing.assert_allclose(plane.y_train[:, 0], plane.x_train.sum(axis=1) / 2, atol=1e-6)


def test_regression_targets_lie_about_in_minus_one_to_one():
    for name in ("plane", "multigauss"):
        ds = make_dataset(DataConfig(name=name, n_samples=1000, noise=0.0))
        assert np.abs(ds.y_train).max() <= 1.2 + 1e-6
        assert ds.y_train.min() < -0.5 and ds.y_train.max() > 0.5


def test_gauss_noise_widens_the_clusters_from_playground_variance_half_to_four():
    def spread(noise: float) -> float:
        ds = make_dataset(DataConfig(name="gauss", n_samples=4000, noise=noise, seed=2))
        x, y = ds.x_train, ds.y_train[:, 0]
        return float(x[y == 1].std())  # per-axis std in our coordinates, Playground's / 5

    assert spread(0.0) == pytest.approx(math.sqrt(0.5) / 5, rel=0.1)
    assert spread(1.0) == pytest.approx(math.sqrt(4.0) / 5, rel=0.1)


@pytest.mark.parametrize("seq_len", [2, 3, 10])
def test_adding_target_is_the_sum_of_the_two_marked_values(seq_len):
    ds = make_dataset(DataConfig(name="adding", n_samples=300, noise=0.0, seq_len=seq_len))
    x, y = ds.x_train, ds.y_train[:, 0]
    markers = x[:, :, 1]
    assert set(np.unique(markers)) <= {0.0, 1.0}  # seq_len 2: both steps are marked
    half = seq_len // 2
    assert np.all(markers[:, :half].sum(axis=1) == 1)
    assert np.all(markers[:, half:].sum(axis=1) == 1)
    for values, marks, target in zip(x[:, :, 0], markers, y, strict=True):
        marked = [v for v, m in zip(values, marks, strict=True) if m == 1]
        assert target == pytest.approx(sum(marked), abs=1e-6)
    assert x[:, :, 0].min() >= 0.0 and x[:, :, 0].max() < 1.0


def test_adding_noise_touches_the_values_only_and_not_the_targets():
    clean = make_dataset(DataConfig(name="adding", n_samples=200, noise=0.0, seq_len=8))
    noisy = make_dataset(DataConfig(name="adding", n_samples=200, noise=0.3, seq_len=8))
    assert np.array_equal(clean.y_train, noisy.y_train)
    assert np.array_equal(clean.x_train[:, :, 1], noisy.x_train[:, :, 1])
    residual = noisy.x_train[:, :, 0] - clean.x_train[:, :, 0]
    assert residual.std() == pytest.approx(0.3, rel=0.1)


def test_recall_label_is_the_first_token():
    ds = make_dataset(DataConfig(name="recall", n_samples=400, noise=0.0, seq_len=5))
    x = ds.x_train
    assert np.all(x.sum(axis=2) == 1) and set(np.unique(x)) == {0.0, 1.0}  # one-hot tokens
    assert np.array_equal(x[:, 0].argmax(axis=1), ds.y_train)
    assert len(np.unique(ds.y_train)) == RECALL_CLASSES
    noisy = make_dataset(DataConfig(name="recall", n_samples=400, noise=0.5, seq_len=5))
    assert np.array_equal(noisy.y_train, ds.y_train)  # the label comes from the clean token
    assert (noisy.x_train - x).std() == pytest.approx(0.5, rel=0.1)


def shape_pixels(image: np.ndarray) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in zip(*np.nonzero(image[:, :, 0]), strict=True)}


def test_shapes_are_a_horizontal_bar_a_vertical_bar_or_a_cross():
    """Noise-free images, read back by hand: the lit pixels are one row segment (label 0), one
    column segment (label 1), or both through one centre (label 2)."""
    ds = make_dataset(DataConfig(name="shapes", n_samples=600, noise=0.0, seed=5))
    assert set(np.unique(ds.x_train)) == {0.0, 1.0}
    assert SHAPES == ("horizontal bar", "vertical bar", "cross")
    for image, label in zip(ds.x_train, ds.y_train, strict=True):
        lit = shape_pixels(image)
        rows = {r for r, _ in lit}
        cols = {c for _, c in lit}
        if label == 0:
            assert len(rows) == 1 and 5 <= len(lit) <= 13
            assert sorted(cols) == list(range(min(cols), max(cols) + 1))  # one unbroken stroke
        elif label == 1:
            assert len(cols) == 1 and 5 <= len(lit) <= 13
            assert sorted(rows) == list(range(min(rows), max(rows) + 1))
        else:
            (row,) = [r for r in rows if sum(p[0] == r for p in lit) > 1]
            (col,) = [c for c in cols if sum(p[1] == c for p in lit) > 1]
            assert all(r == row or c == col for r, c in lit) and (row, col) in lit
    all_labels = np.concatenate([ds.y_train, ds.y_test])
    assert np.bincount(all_labels).tolist() == [200, 200, 200]  # balanced
    centres = {shape_pixels(image).pop() for image in ds.x_train[:100]}
    assert len(centres) > 20  # the shapes move around the frame


def test_shapes_noise_is_gaussian_on_the_same_images():
    clean = make_dataset(DataConfig(name="shapes", n_samples=300, noise=0.0, seed=2))
    noisy = make_dataset(DataConfig(name="shapes", n_samples=300, noise=0.4, seed=2))
    assert np.array_equal(clean.y_train, noisy.y_train)
    residual = noisy.x_train - clean.x_train
    assert residual.mean() == pytest.approx(0.0, abs=0.01)
    assert residual.std() == pytest.approx(0.4, rel=0.02)


def test_shapes_baseline_is_chance_among_three_classes():
    base = trivial_baseline(make_dataset(DataConfig(name="shapes", n_samples=3000, seed=1)))
    assert base["accuracy"] == pytest.approx(1 / 3, abs=0.05)
    assert base["loss"] == pytest.approx(math.log(3), abs=0.01)


def test_grid_refuses_image_tasks():
    with pytest.raises(ValueError, match="image"):
        grid_for(make_dataset(DataConfig(name="shapes", n_samples=20)))


# ---------------------------------------------------------------------------------------------
# Baselines and grids


def test_adding_trivial_baseline_is_one_sixth():
    # Var(U1 + U2) = 2/12; with 10,000 test sequences the estimate's std is ~0.002.
    cfg = DataConfig(name="adding", n_samples=20000, test_fraction=0.5, seq_len=2, noise=0.0)
    base = trivial_baseline(make_dataset(cfg))
    assert base["mse_predict_one"] == pytest.approx(1 / 6, abs=0.01)
    assert base["loss"] == pytest.approx(1 / 6, abs=0.01)


def hand_made(name: str, y_train, y_test) -> Dataset:
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    x = np.zeros((len(y_train), 2), np.float32)
    return Dataset(name, TASKS[name], x, y_train, x[: len(y_test)], y_test)


def test_classification_baselines_match_hand_computed_values():
    binary = trivial_baseline(hand_made("circle", [[1.0], [1.0], [1.0], [0.0]], [[1.0], [0.0]]))
    assert binary["accuracy"] == 0.5  # always answering the majority (1)
    assert binary["loss"] == pytest.approx(-(math.log(0.75) + math.log(0.25)) / 2)
    recall = trivial_baseline(
        hand_made("recall", np.array([2, 2, 1, 0], np.int32), np.array([2, 3], np.int32))
    )
    assert recall["accuracy"] == 0.5
    # Class 3 never occurs in training: its frequency is clipped at 1e-7, as Keras clips.
    assert recall["loss"] == pytest.approx(-(math.log(0.5) + math.log(1e-7)) / 2)


def test_regression_baseline_is_the_test_mse_of_the_train_mean():
    base = trivial_baseline(hand_made("plane", [[0.0], [2.0]], [[1.0], [3.0]]))
    assert base == {"loss": pytest.approx((0 + 4) / 2)}


@pytest.mark.parametrize("name", TWO_D)
def test_grid_covers_every_point_with_a_margin(name):
    ds = make_dataset(DataConfig(name=name, n_samples=300, noise=0.5))
    xs, ys, points = grid_for(ds, resolution=12)
    assert xs.shape == ys.shape == (12,) and points.shape == (144, 2)
    assert points.dtype == np.float32
    both = np.concatenate([ds.x_train, ds.x_test])
    width = both.max(axis=0) - both.min(axis=0)
    assert np.all(points.min(axis=0) <= both.min(axis=0) - 0.04 * width)
    assert np.all(points.max(axis=0) >= both.max(axis=0) + 0.04 * width)
    i, j = 5, 7
    np.testing.assert_allclose(points[i * 12 + j], (xs[j], ys[i]), rtol=1e-6)


def test_grid_refuses_sequence_tasks():
    with pytest.raises(ValueError, match="sequence"):
        grid_for(make_dataset(DataConfig(name="adding", n_samples=20, seq_len=4)))


def test_datasets_module_imports_no_framework():
    tree = ast.parse(Path(datasets_module.__file__).read_text())
    imported = {
        (node.module or "" if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & {"tensorflow", "keras", "streamlit", "altair", "torch"}


@pytest.mark.parametrize("name, noise", [("adding", 0.1), ("adding", 0.5), ("plane", 0.5)])
def test_the_noise_floor_is_the_error_of_the_best_possible_guess(name, noise):
    """Oracle: the best guess of the target given the (noisy) input, estimated on a large
    sample by binning; its MSE must match the closed form / quadrature within 5 %."""
    rng = np.random.default_rng(7)
    if name == "adding":  # one marked value: v seen as v + N(0, noise^2); two of them add up
        v = rng.random(2_000_000)
        seen = v + noise * rng.standard_normal(v.size)
        bins = np.digitize(seen, np.linspace(seen.min(), seen.max(), 400))
        best = np.bincount(bins, v) / np.maximum(np.bincount(bins), 1)
        mse = 2 * np.mean((v - best[bins]) ** 2)
    else:  # plane: the target's jitter does not depend on the input, so the best guess is x + y
        ds = make_dataset(DataConfig(name="plane", noise=noise, n_samples=5000, seed=3))
        x, y = ds.x_train, ds.y_train[:, 0]
        mse = np.mean((y - (x * datasets_module.PLAYGROUND_SCALE).sum(axis=1) / 10) ** 2)
    assert noise_floor(DataConfig(name=name, noise=noise)) == pytest.approx(mse, rel=0.05)


def test_no_floor_where_noise_does_not_limit_a_model():
    assert noise_floor(DataConfig(name="adding", noise=0.0)) is None
    assert noise_floor(DataConfig(name="circle", noise=0.3)) is None  # classification
    assert 0 < noise_floor(DataConfig(name="multigauss", noise=0.3)) < 0.5


def test_the_engine_trains_on_the_table_standardized_and_split_by_the_seed():
    cfg = csv_config(table(rows=400), train={"epochs": 30}, optimizer={"learning_rate": 0.02})
    data = make_dataset(cfg.data)
    both = np.concatenate([data.x_train, data.x_test])
    np.testing.assert_allclose(both.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(both.std(axis=0), 1, atol=1e-4)
    assert data.x_train.shape == (320, 3) and data.y_test.shape == (80, 1)
    again = make_dataset(cfg.data)
    np.testing.assert_array_equal(again.x_test, data.x_test)  # same seed, same split
    result = train(cfg)
    assert result.status == "completed"
    final = {m["name"]: m["value"] for m in result.metrics if m["step"] == result.steps}
    assert final["val_accuracy"] > 0.85  # the task is learnable from the table's features
    assert {m["depth"] for m in result.metrics if m["name"] == "grad_norm"} == {0, 1, 2, 3, 4}
