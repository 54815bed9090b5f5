"""The run config: one frozen pydantic schema that every other part reads.

The schema owns every bound and default, and the rules between fields (which arch fits which
task, the parameter and step budgets). Widgets, URL query params (dotted paths such as
``model.activation``), JSON import/export and the CLI all go through it, so a limit is written
once, here; models.fields is the table of its fields they read, and turns invalid input into a
:class:`ConfigError` whose problems are codes with values (``config.out_of_range``: the field, the
allowed range, the value given); the pages and the CLI word them from the string tables. A rule
here raises ``PydanticCustomError(code, log template, values)``, so the code and values come out
of pydantic's error as its ``type`` and ``ctx``.

This module imports no TensorFlow: the dashboard's server process validates configs with it.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from models.problems import ProblemError
from models.tables import MAX_CSV_CHARS, CsvData, DataError, uploaded_table
from models.tasks import IMAGE_SIZE, TASKS, TaskSpec

DatasetName = Literal[
    "circle", "xor", "gauss", "spiral", "plane", "multigauss", "adding", "recall", "shapes", "csv"
]
CSV_DATASET = "csv"  # data.name of a user's uploaded table; the table itself is data.csv
UPLOAD_FIELDS = ("data.csv", "data.target")  # text fields: no widget, no URL param, no sweep
Arch = Literal["mlp", "simple_rnn", "lstm", "gru", "cnn"]
Activation = Literal["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "linear"]
Initializer = Literal[
    "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "random_normal"
]
OptimizerName = Literal["sgd", "momentum", "adam", "rmsprop"]
Pooling = Literal["max", "mean"]

RECURRENT_ARCHS = ("simple_rnn", "lstm", "gru")
RELU_FAMILY = ("relu", "leaky_relu", "prelu", "elu", "gelu")  # units that can be "dead"
SATURATING = ("sigmoid", "tanh")  # units that can sit in flat tails
# The optimizer's gradient clipping rules, as optimizer fields in their order; at most one is set.
CLIP_RULES = ("clipnorm", "clipvalue", "global_clipnorm")

MAX_PARAMS = 1_000_000  # the parameter budget, checked before any model is built
MAX_STEPS = 200_000  # optimizer steps per run
MAX_RECORDS = 5_000_000  # metric rows per run (steps / record_every x rows per record)


class _Section(BaseModel):
    # frozen: configs are values; forbid: a typo is an error, not a silently ignored key;
    # allow_inf_nan=False: NaN/Inf can never enter a config, so never reach a JSON file.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class DataConfig(_Section):
    name: DatasetName = Field("circle", description="Dataset / task.")
    n_samples: int = Field(1000, ge=16, le=20000, description="Samples generated (train + test).")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="Noise level (0 = clean).")
    test_fraction: float = Field(0.2, ge=0.05, le=0.5, description="Share held out for validation.")
    seq_len: int = Field(30, ge=2, le=500, description="Time steps per sequence (sequence tasks).")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Seed of the data generator.")
    # An uploaded table (data.name 'csv') rides inside the config, so a run, its record, a sweep
    # and a saved run all carry their data; it is never a widget or a URL param (UPLOAD_FIELDS).
    csv: str | None = Field(
        None,
        max_length=MAX_CSV_CHARS,
        description="The uploaded CSV table's text (data.name 'csv' only): numeric feature "
        "columns and one target column.",
    )
    target: str | None = Field(
        None, max_length=200, description="The CSV's target column (null: the last column)."
    )

    @model_validator(mode="after")
    def _check_table(self) -> DataConfig:
        if self.name != CSV_DATASET:
            if self.csv is not None or self.target is not None:
                raise PydanticCustomError(
                    "config.csv_fields_need_csv", "data.csv and data.target need data.name csv"
                )
            return self
        if self.csv is None:
            raise PydanticCustomError("config.csv_needs_table", "data.name csv needs data.csv")
        try:
            self.table  # noqa: B018 - parses (cached)
        except DataError as exc:  # the table's own problem, worded inside this one
            raise PydanticCustomError(
                "config.csv_invalid", "data.csv: {why}", {"why": exc.problem}
            ) from None
        return self

    @property
    def table(self) -> CsvData:
        """The parsed upload (data.name 'csv'), cached per text and target."""
        return uploaded_table(self.csv, self.target)

    @property
    def task(self) -> TaskSpec:
        if self.name != CSV_DATASET:
            return TASKS[self.name]
        table = self.table
        binary = table.task_kind == "binary"
        return TaskSpec(
            table.task_kind,
            len(table.feature_names),
            1,
            "binary_crossentropy" if binary else "mse",
            "Your CSV table",
        )

    @property
    def rows(self) -> int:
        """Samples in all: the generated count, or the uploaded table's rows."""
        return len(self.table.y) if self.name == CSV_DATASET else self.n_samples

    @property
    def n_test(self) -> int:
        return max(1, round(self.rows * self.test_fraction))

    @property
    def n_train(self) -> int:
        return self.rows - self.n_test


class ModelConfig(_Section):
    arch: Arch = Field("mlp", description="Network type.")
    depth: int = Field(
        4,
        ge=1,
        le=64,
        description="Hidden layers (MLP), stacked recurrent layers, or conv layers (CNN: each "
        f"followed by 2x2 pooling, so at most {IMAGE_SIZE.bit_length() - 1} on "
        f"{IMAGE_SIZE}x{IMAGE_SIZE} images).",
    )
    width: int = Field(
        16,
        ge=1,
        le=512,
        description="Units per hidden / recurrent layer, or filters per conv layer.",
    )
    kernel_size: int = Field(
        3, ge=2, le=7, description="Side k of each conv layer's k x k kernel (CNN only)."
    )
    pooling: Pooling = Field(
        "max", description="The 2x2 pooling after each conv layer: max or mean (CNN only)."
    )
    activation: Activation = Field("tanh", description="Hidden activation (the cell's, for RNNs).")
    leaky_k: float = Field(0.2, ge=0.0, le=1.0, description="LeakyReLU negative slope k.")
    batch_norm: bool = Field(
        False, description="BatchNormalization between Dense (or Conv2D) and activation."
    )
    dropout: float = Field(0.0, ge=0.0, le=0.9, description="Dropout rate after each hidden layer.")
    residual: bool = Field(
        False,
        description="Skip connections around hidden layers 2..depth (CNN: around conv layers "
        "2..depth, before their pooling).",
    )
    initializer: Initializer = Field("glorot_uniform", description="Kernel initializer.")
    init_scale: float = Field(
        0.05, gt=0.0, le=10.0, description="Standard deviation of random_normal initialization."
    )
    l1: float = Field(0.0, ge=0.0, le=1.0, description="L1 penalty on kernels.")
    l2: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty on kernels.")


class OptimizerConfig(_Section):
    name: OptimizerName = Field("adam", description="Optimizer.")
    learning_rate: float = Field(0.01, gt=0.0, le=100.0, description="Learning rate.")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="Momentum (momentum optimizer only).")
    clipnorm: float | None = Field(
        None, gt=0.0, le=1e6, description="Clip each variable's gradient to this norm (off: null)."
    )
    clipvalue: float | None = Field(
        None, gt=0.0, le=1e6, description="Clip each gradient element to ±this value (off: null)."
    )
    global_clipnorm: float | None = Field(
        None, gt=0.0, le=1e6, description="Clip all gradients together to this norm (off: null)."
    )

    @property
    def clipping(self) -> tuple[str, float] | None:
        """The active clipping rule as (field name, threshold), or None."""
        for name in CLIP_RULES:
            value = getattr(self, name)
            if value is not None:
                return name, value
        return None


class TrainConfig(_Section):
    batch_size: int = Field(32, ge=1, le=4096, description="Samples per optimizer step.")
    epochs: int = Field(20, ge=1, le=2000, description="Passes over the training set.")
    seed: int = Field(
        0, ge=0, le=2**31 - 1, description="Seed of initialization, shuffling, dropout."
    )
    record_every: int = Field(10, ge=1, le=10000, description="Steps between recorded metrics.")
    snapshot_every: int = Field(
        100,
        ge=1,
        le=100000,
        description="Steps between snapshots: the decision boundary (2-D tasks), the first conv "
        "layer's filters (CNN).",
    )


class RunConfig(_Section):
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    train: TrainConfig = TrainConfig()

    # -- derived values (computed, never stored) ------------------------------------------------

    @property
    def task(self) -> TaskSpec:
        return self.data.task

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One sample's shape, as the model's Input takes it."""
        task = self.task
        if task.is_sequence:
            return (self.data.seq_len, task.input_dim)
        if task.is_image:
            return (task.image_size, task.image_size, task.input_dim)
        return (task.input_dim,)

    @property
    def effective_batch_size(self) -> int:
        """The batch size actually used: never more than the training set."""
        return min(self.train.batch_size, self.data.n_train)

    @property
    def steps_per_epoch(self) -> int:
        # Partial last batches are dropped so every step has the same shape (one traced graph).
        return self.data.n_train // self.effective_batch_size

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.train.epochs

    @property
    def param_count(self) -> int:
        return count_params(self)

    # -- whole-config rules ---------------------------------------------------------------------

    @model_validator(mode="after")
    def _check_combinations(self) -> RunConfig:
        # Each rule is a code (problem.<code> in the string tables) with the values its words need.
        arch, task, dataset = self.model.arch, self.task, self.data.name
        if arch in RECURRENT_ARCHS and not task.is_sequence:
            raise PydanticCustomError(
                "config.arch_needs_sequence",
                "model.arch {arch} needs a sequence task, not data.name {dataset}",
                {"arch": arch, "dataset": dataset},
            )
        if arch == "mlp" and task.is_sequence:
            raise PydanticCustomError(
                "config.mlp_on_sequence",
                "model.arch mlp cannot take the sequence task {dataset}",
                {"dataset": dataset},
            )
        if arch == "mlp" and not task.is_tabular:
            raise PydanticCustomError(
                "config.mlp_on_image",
                "model.arch mlp cannot take the image task {dataset}",
                {"dataset": dataset},
            )
        if arch == "cnn" and not task.is_image:
            raise PydanticCustomError(
                "config.cnn_needs_image",
                "model.arch cnn needs an image task, not data.name {dataset}",
                {"dataset": dataset},
            )
        if arch == "cnn":
            self._check_cnn()
        if arch in RECURRENT_ARCHS:
            if self.model.batch_norm:
                raise PydanticCustomError("config.rnn_no_batch_norm", "model.batch_norm on an RNN")
            if self.model.residual:
                raise PydanticCustomError("config.rnn_no_residual", "model.residual on an RNN")
            if self.model.activation == "prelu":
                raise PydanticCustomError("config.rnn_no_prelu", "model.activation prelu on an RNN")
        active = [n for n in CLIP_RULES if getattr(self.optimizer, n)]
        if len(active) > 1:
            raise PydanticCustomError(
                "config.one_clip_rule",
                "only one clipping rule at a time (got {active})",
                {"active": ", ".join("optimizer." + n for n in active)},
            )
        params = count_params(self)
        if params > MAX_PARAMS:
            raise PydanticCustomError(
                "config.params_over_budget",
                "{params} parameters, over the budget of {budget}",
                {"params": params, "budget": MAX_PARAMS},
            )
        if self.total_steps > MAX_STEPS:
            raise PydanticCustomError(
                "config.steps_over_limit",
                "{steps} steps, over the limit of {limit}",
                {"steps": self.total_steps, "limit": MAX_STEPS},
            )
        if self.record_rows_estimate > MAX_RECORDS:
            raise PydanticCustomError(
                "config.records_over_limit",
                "about {rows} metric rows, over the limit of {limit}",
                {"rows": self.record_rows_estimate, "limit": MAX_RECORDS},
            )
        return self

    def _check_cnn(self) -> None:
        m, size = self.model, self.task.image_size
        max_depth = int(math.log2(size))
        if m.depth > max_depth:
            raise PydanticCustomError(
                "config.cnn_too_deep",
                "model.depth must be at most {most} for the cnn arch (got {depth})",
                {
                    "most": max_depth,
                    "depth": m.depth,
                    "size": size,
                    "halvings": " -> ".join(str(s) for s in conv_sizes(size, max_depth + 1)),
                },
            )
        smallest = conv_sizes(size, m.depth)[-1]
        if m.kernel_size > smallest:
            raise PydanticCustomError(
                "config.kernel_too_large",
                "model.kernel_size {kernel} is larger than the {smallest}x{smallest} map",
                {
                    "kernel": m.kernel_size,
                    "smallest": smallest,
                    "layer": m.depth - 1,
                    "depth": m.depth,
                },
            )

    @property
    def record_rows_estimate(self) -> int:
        records = self.total_steps // self.train.record_every + 1
        layers = self.model.depth * (1 + self.model.batch_norm) + 1
        per_record = 4 + 6 * layers + (self.data.seq_len if self.task.is_sequence else 0)
        return records * per_record


# ---------------------------------------------------------------------------------------------
# Closed-form parameter counts (checked against Keras' count_params() by an oracle test).


def recurrent_params(arch: str, units: int, input_dim: int) -> int:
    """Parameters of one Keras recurrent layer.

    SimpleRNN: units·(units+input) + units. LSTM: four such blocks (input, forget, cell, output).
    GRU (Keras' reset_after=True default): three blocks, each with two bias vectors.
    """
    block = units * (units + input_dim)
    if arch == "simple_rnn":
        return block + units
    if arch == "lstm":
        return 4 * (block + units)
    if arch == "gru":
        return 3 * (block + 2 * units)
    raise ValueError(f"unknown recurrent arch {arch!r}")


def conv_sizes(image_size: int, depth: int) -> list[int]:
    """The side of the square feature map each of `depth` conv layers sees: 2x2 pooling (stride
    2, no padding) after each one halves it, rounding down (16 -> 8 -> 4 -> 2 -> 1)."""
    return [image_size // 2**i for i in range(depth)]


def count_params(cfg: RunConfig) -> int:
    """Total parameters (trainable and not) of the model that models.builders builds."""
    m, task = cfg.model, cfg.task
    total, fan_in = 0, task.input_dim
    for _ in range(m.depth):
        if m.arch == "mlp":
            total += fan_in * m.width + m.width  # Dense kernel + bias
        elif m.arch == "cnn":
            total += m.kernel_size**2 * fan_in * m.width + m.width  # Conv2D kernel + bias
        else:
            total += recurrent_params(m.arch, m.width, fan_in)
        if m.arch in ("mlp", "cnn"):
            if m.batch_norm:
                total += 4 * m.width  # gamma, beta (trainable) + moving mean, variance
            if m.activation == "prelu":
                total += m.width  # one learned slope per unit (per filter, shared over pixels)
        fan_in = m.width
    if m.arch == "cnn":  # the head sees the last pooled map, flattened
        fan_in *= (task.image_size // 2**m.depth) ** 2
    return total + fan_in * task.n_outputs + task.n_outputs  # output head


def graph_key(cfg: RunConfig) -> tuple:
    """What a run's traced training step depends on: its layers, shapes, optimizer kind and
    clipping rule. Runs with equal keys share one traced graph in a warm worker; seeds, the
    learning rate, momentum, the clip threshold, epochs and the data's values are not in it.
    (Pure: the job pool sends a run to the worker that has its graph, without TensorFlow.)"""
    m, task = cfg.model, cfg.task
    clipping = cfg.optimizer.clipping
    return (
        m.arch, m.depth, m.width, m.kernel_size if m.arch == "cnn" else None,
        m.pooling if m.arch == "cnn" else None, m.activation,
        m.leaky_k if m.activation == "leaky_relu" else None,
        m.batch_norm, m.dropout, m.residual, m.l1, m.l2,
        cfg.optimizer.name, clipping[0] if clipping else None,
        cfg.input_shape, task.kind, task.n_outputs, task.loss,
        cfg.effective_batch_size, cfg.train.record_every,
    )  # fmt: skip


class ConfigError(ProblemError):
    """A config a user supplied (or a sweep of configs, or a concept page's request) is invalid:
    ``problems`` says why, as codes with values; a page shows the first (``locales.say_first``)."""


SECTIONS: dict[str, type[_Section]] = {
    "data": DataConfig,
    "model": ModelConfig,
    "optimizer": OptimizerConfig,
    "train": TrainConfig,
}
