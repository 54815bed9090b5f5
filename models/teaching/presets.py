"""Named experiments: each reproduces one claim from the notes as a config you can run.

A preset is a small set of dotted-path changes to the default config plus the claim it tests.
Tests run them through the trainer and check the claim against the measured records, so a
preset that stops demonstrating its claim fails CI instead of teaching something false.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.config import RunConfig
from models.fields import with_changes


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    claim: str
    changes: dict[str, Any] = field(default_factory=dict)

    def config(self) -> RunConfig:
        return with_changes(RunConfig(), self.changes)


# The deep-net presets share one setup so their differences are the point: 10 hidden layers of
# 16 units, SGD with momentum, the circle task, 500 steps. Measured on seeds 0-4 (the lesson
# must hold on more than one): the sigmoid net stays at chance (val accuracy 0.44-0.56) while
# ReLU + He (0.99-1.0) and batch norm (0.96-0.99) learn. With plain SGD at 0.1 for 250 steps
# (the earlier setup) batch norm and the residual net ended at chance too.
_DEEP = {
    "data.name": "circle",
    "model.depth": 10,
    "model.width": 16,
    "optimizer.name": "momentum",
    "optimizer.learning_rate": 0.05,
    "train.epochs": 20,
}

# Deep ReLU net initialized far too large: activations and gradients grow layer by layer. Without
# clipping it diverges at step 1; with clipnorm 1 it needs the 500 steps to shrink its weights
# and then learns: val loss 0.003-0.009 on seeds 0-2 against the trivial baseline's 0.27 (at
# lr 0.01 or 125 steps it ends in the hundreds: bounded, but nothing learned).
_EXPLODING = {
    "data.name": "plane",
    "model.depth": 12,
    "model.width": 32,
    "model.activation": "relu",
    "model.initializer": "random_normal",
    "model.init_scale": 0.5,
    "optimizer.name": "sgd",
    "optimizer.learning_rate": 0.05,
    "train.epochs": 20,
    "train.record_every": 5,
}

# A ReLU net pushed by a learning rate far too high: big updates knock units into the region where
# they never fire again. Measured on seeds 0-4 (6 x 16, Adam 0.03, 250 steps): 24-39 % of the
# ReLU units end inactive for every sample, LeakyReLU's 3-15 %, at most half the ReLU net's on
# every seed. The circle is easy: both nets still fit it with the units they have left.
_DYING = {
    "data.name": "circle",
    "model.depth": 6,
    "model.width": 16,
    "model.activation": "relu",
    "model.initializer": "he_normal",
    "optimizer.name": "adam",
    "optimizer.learning_rate": 0.03,
    "train.epochs": 10,
}

# The adding problem over 50 steps, learnable only by carrying two marked values across the
# sequence: ~3,000 Adam steps, one recurrent layer of 32 units; only the cell differs.
_ADDING = {
    "data.name": "adding",
    "data.seq_len": 50,
    "data.n_samples": 10000,
    "model.depth": 1,
    "model.width": 32,
    "optimizer.name": "adam",
    "optimizer.learning_rate": 0.005,
    "train.batch_size": 32,
    "train.epochs": 12,
    "train.record_every": 25,
}

# A ReLU SimpleRNN with a large learning rate: h_t = relu(W x_t + U h_{t-1}) repeats U fifty
# times, and one large step makes it grow without bound.
_RNN_EXPLODING = {
    "data.name": "adding",
    "data.seq_len": 50,
    "data.n_samples": 2000,
    "model.arch": "simple_rnn",
    "model.depth": 1,
    "model.width": 32,
    "model.activation": "relu",
    "optimizer.name": "sgd",
    "optimizer.learning_rate": 2.0,
    "train.epochs": 3,
    "train.record_every": 1,
}

# A small CNN on the shapes task (16x16 images of a horizontal bar, a vertical bar or a cross in
# pixel noise): two conv layers of 8 3x3 filters, each followed by 2x2 pooling, about 1,000
# parameters; 125 Adam steps, under a second on one CPU core (most of it tracing). Only the
# pooling differs, so both start from the same weights (pooling has none).
_CNN_SHAPES = {
    "data.name": "shapes",
    "data.noise": 0.3,
    "model.arch": "cnn",
    "model.depth": 2,
    "model.width": 8,
    "model.kernel_size": 3,
    "model.activation": "relu",
    "optimizer.name": "adam",
    "optimizer.learning_rate": 0.01,
    "train.epochs": 5,
    "train.record_every": 5,
    "train.snapshot_every": 25,  # the first layer's filters, five times over the run
}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "default",
            "Default run",
            "A small tanh MLP learns the circle task.",
        ),
        Preset(
            "vanishing_sigmoid",
            "Vanishing gradients: 10-layer sigmoid MLP",
            "The first layer's gradient norm is orders of magnitude below the last layer's: "
            "each sigmoid layer multiplies the backward signal by at most 1/4.",
            {**_DEEP, "model.activation": "sigmoid"},
        ),
        Preset(
            "relu_he",
            "The fix by activation: 10-layer ReLU MLP with He initialization",
            "With ReLU and He initialization the gradient norm stays within an order of "
            "magnitude from the last layer to the first.",
            {**_DEEP, "model.activation": "relu", "model.initializer": "he_normal"},
        ),
        Preset(
            "sigmoid_batchnorm",
            "The fix by normalization: 10-layer sigmoid MLP with batch norm",
            "Batch normalization before each sigmoid keeps units in the steep middle, so the "
            "first layer's gradient is far larger than without it.",
            {**_DEEP, "model.activation": "sigmoid", "model.batch_norm": True},
        ),
        Preset(
            "sigmoid_residual",
            "The fix by architecture: 10-layer sigmoid MLP with residual connections",
            "Skip connections give the gradient a path that bypasses each sigmoid, so the first "
            "layer's gradient is far larger than without them, and at learning rate 0.2 the net "
            "learns (the plain sigmoid net does not, at 0.05 or at 0.2).",
            # Each block adds a sigmoid's output (mean 0.5) to the stream, so the residual net
            # needs a larger step than the others: at 0.05 it stays at chance on seeds 0-4, at
            # 0.2 it reaches val accuracy 0.97-0.995; the plain sigmoid net fails at both.
            {
                **_DEEP,
                "model.activation": "sigmoid",
                "model.residual": True,
                "optimizer.learning_rate": 0.2,
            },  # fmt: skip
        ),
        Preset(
            "exploding",
            "Exploding gradients: deep ReLU net with a too-large initialization",
            "Gradients grow layer by layer toward the input and the loss becomes non-finite: "
            "the run diverges within a few steps.",
            _EXPLODING,
        ),
        Preset(
            "exploding_clipnorm",
            "The same exploding net with clipnorm = 1",
            "Clipping each gradient to norm 1 bounds every update, so the same net trains "
            "without diverging and, once its weights have shrunk, learns: its val loss ends far "
            "below the trivial baseline.",
            {**_EXPLODING, "optimizer.clipnorm": 1.0},
        ),
        Preset(
            "dying_relu",
            "Dying ReLUs at a high learning rate",
            "Large updates push ReLU units to where they output 0 for every input: by the end "
            "about a third of them are dead, and a dead unit gets no gradient to recover with.",
            _DYING,
        ),
        Preset(
            "dying_relu_leaky",
            "The LeakyReLU fix for dying ReLUs",
            "With LeakyReLU (k = 0.2) a unit below zero still passes k times the gradient, so "
            "it can come back: at the same learning rate at most half as many units end dead.",
            {**_DYING, "model.activation": "leaky_relu"},
        ),
        Preset(
            "rnn_adding_simple",
            "Adding problem over 50 steps: SimpleRNN",
            "A SimpleRNN cannot carry the first marked value across 50 steps: its error stays "
            "at the 0.167 baseline of always answering 1.0.",
            {**_ADDING, "model.arch": "simple_rnn"},
        ),
        Preset(
            "rnn_adding_lstm",
            "Adding problem over 50 steps: LSTM",
            "The LSTM's cell state carries information across the sequence: its gradient "
            "reaches early time steps and its error falls well below the 0.167 baseline.",
            {**_ADDING, "model.arch": "lstm"},
        ),
        Preset(
            "rnn_adding_gru",
            "Adding problem over 50 steps: GRU",
            "The GRU's update gate gives the same path through time with fewer parameters: it "
            "also beats the 0.167 baseline.",
            {**_ADDING, "model.arch": "gru"},
        ),
        Preset(
            "rnn_relu_exploding",
            "Exploding gradients through time: ReLU SimpleRNN, large learning rate",
            "Without tanh to bound the state, the recurrence multiplies by the same matrix at "
            "every step: the gradient explodes and the run diverges.",
            _RNN_EXPLODING,
        ),
        Preset(
            "rnn_relu_clipnorm",
            "The same ReLU SimpleRNN with clipnorm = 0.02",
            "Clipping each gradient to norm 0.02 bounds every update, so the same net trains "
            "without diverging and its loss stays near the 0.167 baseline.",
            {**_RNN_EXPLODING, "optimizer.clipnorm": 0.02},
        ),
        Preset(
            "cnn_shapes_max",
            "A small CNN with max pooling on bars and crosses",
            "Two conv layers of 8 3x3 filters, each followed by 2x2 max pooling, learn to tell "
            "horizontal bars, vertical bars and crosses apart in noisy 16x16 images: val accuracy "
            "far above the 1/3 of chance within 5 epochs.",
            {**_CNN_SHAPES, "model.pooling": "max"},
        ),
        Preset(
            "cnn_shapes_mean",
            "The same CNN with mean pooling",
            "Mean pooling splits each 2x2 window's gradient into four quarters, where max pooling "
            "passes all of it to the window's largest input: from the same initial weights the "
            "first conv layer's gradient is several times smaller than with max pooling, and the "
            "net still learns the shapes.",
            {**_CNN_SHAPES, "model.pooling": "mean"},
        ),
    ]
}


# Presets that answer one question together, trained side by side (the first is config A).
COMPARISONS: dict[str, tuple[str, ...]] = {
    "vanishing_fixes": ("vanishing_sigmoid", "relu_he", "sigmoid_batchnorm", "sigmoid_residual"),
    "exploding_clip": ("exploding", "exploding_clipnorm"),
    "dying_relu_fix": ("dying_relu", "dying_relu_leaky"),
    "rnn_cells_adding": ("rnn_adding_simple", "rnn_adding_lstm", "rnn_adding_gru"),
    "rnn_exploding_clip": ("rnn_relu_exploding", "rnn_relu_clipnorm"),
    "cnn_pooling": ("cnn_shapes_max", "cnn_shapes_mean"),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; presets are {', '.join(PRESETS)}")
    return PRESETS[name]
