"""The engine's data: seeded task generators, trivial baselines, plot grids and CSV loading.

Owns everything a model is fed. :func:`make_dataset` turns a :class:`DataConfig` into arrays,
deterministically (same config => bit-identical arrays) and without downloads:

* 2-D sets after TensorFlow Playground's ``dataset.ts``: ``circle``, ``xor``, ``gauss``, ``spiral``
  (binary, labels 0/1) and ``plane``, ``multigauss`` (regression, targets about [-1, 1]);
* sequence tasks: ``adding`` (Hochreiter & Schmidhuber's adding problem) and ``recall`` (name the
  first token of a noisy sequence);
* an image task: ``shapes`` (16x16 grayscale images of a horizontal bar, a vertical bar or a
  cross, anywhere in the frame, in Gaussian pixel noise).

:func:`load_csv` reads a user's CSV file (features + one target column) and turns every way the
file can be bad into a :class:`DataError` whose message is one sentence for the user.

Imports only numpy and the stdlib (never TensorFlow, Keras or streamlit): the dashboard's
server process validates uploads with it.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import functools
import io
import math
import os
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.config import (
    CSV_DATASET,
    MAX_CSV_CHARS,
    RECALL_CLASSES,
    SHAPES,
    DataConfig,
    TaskSpec,
)

__all__ = [
    "CsvData",
    "DataError",
    "Dataset",
    "grid_for",
    "csv_text",
    "load_csv",
    "uploaded_table",
    "make_dataset",
    "trivial_baseline",
    "noise_floor",
]

# ---------------------------------------------------------------------------------------------
# Generated datasets


# eq=False: the fields are arrays, so a generated __eq__/__hash__ would raise on use.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A generated task split into train and test arrays."""

    name: str
    task: TaskSpec
    # float32 (n, 2); (n, seq_len, task.input_dim) for sequence tasks; (n, size, size, 1) images
    x_train: np.ndarray
    y_train: np.ndarray  # float32 (n, 1); int32 (n,) class ids for 'recall' and 'shapes'
    x_test: np.ndarray
    y_test: np.ndarray


PLAYGROUND_SCALE = 5.0  # Playground's points reach radius 5-6; /5 puts features in ~[-1.2, 1.2]

# Noise mapping. Playground's noise slider runs 0..50 % (noise 0..0.5); ours runs 0..1 so that
# the schema's one bound covers all tasks. For the 2-D sets data.noise = 1 is Playground's maximum:
#   playground_noise = PLAYGROUND_NOISE_MAX * data.noise   (default 0.1 -> Playground's "5")
# What it then does is Playground's: in circle, xor, plane and multigauss it perturbs the position
# the label is computed from (points stay put, labels near the boundary flip); in gauss it widens
# the clusters (variance 0.5 -> 4); in spiral it jitters the points by up to ±noise.
# For the sequence tasks and the images data.noise is the std of Gaussian noise added to the inputs.
PLAYGROUND_NOISE_MAX = 0.5


def make_dataset(data: DataConfig) -> Dataset:
    """Generate the task ``data.name`` and split it into ``data.n_train`` / ``data.n_test``.

    Every draw comes from ``np.random.default_rng(data.seed)`` in a fixed order that does not
    depend on the noise level, so changing only ``data.noise`` keeps the same underlying samples.
    """
    task = data.task
    rng = np.random.default_rng(data.seed)
    n = data.rows
    if data.name == CSV_DATASET:
        x, y = _standardized(data.table)
    elif data.name == "adding":
        x, y = _adding(rng, n, data.seq_len, data.noise)
    elif data.name == "recall":
        x, y = _recall(rng, n, data.seq_len, data.noise)
    elif data.name == "shapes":
        x, y = _shapes(rng, n, task.image_size, data.noise)
    else:
        points, y = _PLAYGROUND[data.name](rng, n, PLAYGROUND_NOISE_MAX * data.noise)
        x = (points / PLAYGROUND_SCALE).astype(np.float32)
        y = y.astype(np.float32).reshape(-1, 1)
    # The 2-D and image generators emit samples grouped by class, so the split must shuffle.
    order = rng.permutation(n)
    train, test = order[: data.n_train], order[data.n_train :]
    return Dataset(data.name, task, x[train], y[train], x[test], y[test])


def _standardized(table: CsvData) -> tuple[np.ndarray, np.ndarray]:
    # Features on their own scales (metres next to millimetres) would make the first layer's
    # gradients a study of units; each column is centred and scaled to unit variance instead.
    mean, std = table.x.mean(axis=0), table.x.std(axis=0)
    x = (table.x - mean) / np.where(std > 0, std, 1.0)
    return x.astype(np.float32), table.y


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    # Playground's convention: x = r sin(angle), y = r cos(angle).
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)])


def _circle(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    n_in = n - n // 2
    r = np.concatenate(
        [rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n - n_in)]
    )
    points = _polar(r, rng.uniform(0, 2 * np.pi, n))
    shift = rng.uniform(-radius, radius, (n, 2)) * noise
    label = np.hypot(*(points + shift).T) < radius * 0.5  # inside = 1
    return points, label


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)  # a gap along the axes keeps noise-free labels clean
    shift = rng.uniform(-5, 5, (n, 2)) * noise
    moved = points + shift
    label = moved[:, 0] * moved[:, 1] >= 0
    return points, label


def _gauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + (4.0 - 0.5) * noise / PLAYGROUND_NOISE_MAX
    n_pos = n - n // 2
    centers = np.where(np.arange(n)[:, None] < n_pos, 2.0, -2.0)
    points = centers + rng.normal(0.0, math.sqrt(variance), (n, 2))
    return points, np.arange(n) < n_pos


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    arms = []
    for count, delta in ((n - n // 2, 0.0), (n // 2, np.pi)):
        i = np.arange(count) / max(count, 1)
        arms.append(_polar(i * 5, 1.75 * i * 2 * np.pi + delta))
    points = np.concatenate(arms) + rng.uniform(-1, 1, (n, 2)) * noise
    return points, np.arange(n) < n - n // 2


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    points = rng.uniform(-6, 6, (n, 2))
    moved = points + rng.uniform(-6, 6, (n, 2)) * noise
    return points, moved.sum(axis=1) / 10  # Playground maps x + y in [-10, 10] to [-1, 1]


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def _multigauss(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    points = rng.uniform(-6, 6, (n, 2))
    moved = points + rng.uniform(-6, 6, (n, 2)) * noise
    dist = np.hypot(moved[:, None, 0] - _BUMPS[:, 0], moved[:, None, 1] - _BUMPS[:, 1])
    signed = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)  # each bump falls from 1 to 0 over dist 2
    # Playground keeps the bump with the largest |value| (the first one on ties, as argmax does).
    target = signed[np.arange(n), np.abs(signed).argmax(axis=1)]
    return points, target


_PLAYGROUND = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "plane": _plane,
    "multigauss": _multigauss,
}


def _adding(
    rng: np.random.Generator, n: int, seq_len: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    values = rng.random((n, seq_len), dtype=np.float32)
    half = seq_len // 2
    rows = np.arange(n)
    first = rng.integers(0, half, n)
    second = rng.integers(half, seq_len, n)
    target = (values[rows, first] + values[rows, second]).reshape(-1, 1)  # from the clean values
    # float32 draws, scaled in place: n * seq_len can reach 10^7.
    noisy = rng.standard_normal((n, seq_len), dtype=np.float32)
    noisy *= noise
    noisy += values
    x = np.zeros((n, seq_len, 2), dtype=np.float32)
    x[:, :, 0] = noisy
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    return x, target.astype(np.float32)


def _recall(
    rng: np.random.Generator, n: int, seq_len: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    label = rng.integers(0, RECALL_CLASSES, n)
    tokens = np.column_stack([label, rng.integers(0, RECALL_CLASSES, (n, seq_len - 1))])
    x = rng.standard_normal((n, seq_len, RECALL_CLASSES), dtype=np.float32)
    x *= noise
    x[np.arange(n)[:, None], np.arange(seq_len), tokens] += 1.0
    return x, label.astype(np.int32)


SHAPE_HALF_LENGTHS = (2, 6)  # a stroke reaches 2..6 pixels either side of its centre (5..13 long)


def _shapes(
    rng: np.random.Generator, n: int, size: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Images of one shape each: a horizontal bar (label 0), a vertical bar (1) or a cross (2),
    strokes one pixel wide of value 1 on 0, anywhere in the frame, plus N(0, noise^2) per pixel.

    Every sample draws the same numbers whatever its class (both half-lengths, the centre), so
    the draws do not depend on the labels. A cross is a horizontal and a vertical bar through
    one centre: telling it from a bar takes finding both strokes, wherever they are.
    """
    label = np.arange(n) % len(SHAPES)  # balanced classes, grouped; make_dataset shuffles
    low, high = SHAPE_HALF_LENGTHS
    half_h = rng.integers(low, high + 1, n)  # horizontal stroke: columns col - half_h..col + half_h
    half_v = rng.integers(low, high + 1, n)  # vertical stroke: rows row - half_v..row + half_v
    row = rng.integers(half_v, size - half_v)  # the centre, so that both strokes fit
    col = rng.integers(half_h, size - half_h)
    r = np.arange(size)[None, :, None]
    c = np.arange(size)[None, None, :]
    row, col, half_h, half_v = (a[:, None, None] for a in (row, col, half_h, half_v))
    horizontal = (r == row) & (np.abs(c - col) <= half_h) & (label != 1)[:, None, None]
    vertical = (c == col) & (np.abs(r - row) <= half_v) & (label != 0)[:, None, None]
    # float32 draws, scaled in place: n * size^2 can reach 5 * 10^6.
    x = rng.standard_normal((n, size, size), dtype=np.float32)
    x *= noise
    x += horizontal | vertical
    return x[..., None], label.astype(np.int32)


def trivial_baseline(dataset: Dataset) -> dict[str, float]:
    """What a model that ignores its input scores on the test set: the line to beat.

    ``loss``: the task's loss of the best constant guess fitted on the train set (its mean for
    regression, its class frequencies for classification). ``accuracy`` (classification): the
    test accuracy of always answering the train set's majority class. ``mse_predict_one``
    (adding only): the classic baseline of always answering 1.0, about 1/6.
    """
    kind = dataset.task.kind
    y_train = dataset.y_train.astype(np.float64)
    y_test = dataset.y_test.astype(np.float64)
    eps = 1e-7  # Keras' clipping epsilon, so the numbers match what training reports
    if kind in ("regression", "sequence_regression"):
        result = {"loss": float(np.mean((y_test - y_train.mean()) ** 2))}
        if dataset.name == "adding":
            result["mse_predict_one"] = float(np.mean((y_test - 1.0) ** 2))
        return result
    if kind == "binary":
        rate = float(np.clip(y_train.mean(), eps, 1 - eps))
        bce = -np.mean(y_test * np.log(rate) + (1 - y_test) * np.log(1 - rate))
        majority = 1.0 if rate >= 0.5 else 0.0
        return {"loss": float(bce), "accuracy": float(np.mean(y_test == majority))}
    n_classes = dataset.task.n_outputs
    counts = np.bincount(dataset.y_train, minlength=n_classes)
    freq = np.clip(counts / counts.sum(), eps, 1.0)
    return {
        "loss": float(-np.mean(np.log(freq[dataset.y_test]))),
        "accuracy": float(np.mean(dataset.y_test == counts.argmax())),
    }


def noise_floor(data: DataConfig) -> float | None:
    """The lowest test MSE any model can reach on a regression task at this noise level (the
    Bayes error): what is left when the noise hides the answer. None where no model is limited
    by noise: classification, no noise, or an uploaded table (whose noise is unknown).

    ``plane``: the target carries (u1 + u2) * 6 * jitter / 10 with u uniform on [-1, 1], whatever
    the input: 0.24 jitter^2 (jitter = PLAYGROUND_NOISE_MAX * noise). ``adding``: the target is
    the clean sum of two values v ~ U(0, 1) seen as v + N(0, noise^2); the best guess is
    E[v | seen], whose error is computed by quadrature. ``multigauss``: the input moves by a
    uniform jitter before the bumps are read; E[Var(target | input)] is estimated on a fixed
    seeded sample (independent of data.seed).
    """
    if data.noise == 0 or data.name not in ("plane", "adding", "multigauss"):
        return None
    if data.name == "adding":
        return 2 * _uniform_posterior_variance(float(data.noise))
    jitter = PLAYGROUND_NOISE_MAX * data.noise  # what the generator is given (make_dataset)
    if data.name == "plane":
        return 0.24 * jitter**2
    return _multigauss_floor(float(jitter))


@functools.lru_cache(maxsize=32)
def _uniform_posterior_variance(sigma: float, points: int = 801) -> float:
    """E[Var(v | v + N(0, sigma^2))] for v ~ U(0, 1), by quadrature over v and the reading."""
    v = np.linspace(0.0, 1.0, points)
    y = np.linspace(-6 * sigma, 1 + 6 * sigma, 2 * points)
    like = np.exp(-0.5 * ((y[:, None] - v[None, :]) / sigma) ** 2)  # p(y | v), unnormalized
    mass = like.sum(axis=1)
    mean = like @ v / mass
    var = like @ v**2 / mass - mean**2
    weight = mass / mass.sum()  # p(y): the prior is flat over v
    return float(weight @ var)


@functools.lru_cache(maxsize=32)
def _multigauss_floor(noise: float, n: int = 4000, draws: int = 64) -> float:
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, (n, 1, 2))
    moved = points + rng.uniform(-6, 6, (n, draws, 2)) * noise
    dist = np.hypot(moved[..., None, 0] - _BUMPS[:, 0], moved[..., None, 1] - _BUMPS[:, 1])
    signed = _BUMPS[:, 2] * np.clip(1 - dist / 2, 0, 1)
    pick = np.abs(signed).argmax(axis=-1)[..., None]
    target = np.take_along_axis(signed, pick, axis=-1)[..., 0]  # (n, draws)
    return float(target.var(axis=1, ddof=1).mean())


def grid_for(dataset: Dataset, resolution: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid over the data's 2-D input space, for decision-boundary snapshots.

    Covers every train and test point with a 5% margin on each side. Returns ``(xs, ys,
    points)``: ``xs`` and ``ys`` of length ``resolution`` and ``points`` of shape
    ``(resolution**2, 2)`` float32 in row-major order, ``points[i * resolution + j] == (xs[j],
    ys[i])``, so ``model(points).reshape(resolution, resolution)`` has rows along y.
    """
    if not dataset.task.is_2d:
        kind = "a sequence" if dataset.task.is_sequence else "an image"
        raise ValueError(f"{dataset.name!r} is {kind} task; a 2-D grid needs a 2-D task")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 (got {resolution})")
    both = np.concatenate([dataset.x_train, dataset.x_test]).astype(np.float64)
    low, high = both.min(axis=0), both.max(axis=0)
    margin = 0.05 * np.where(high > low, high - low, 1.0)  # a flat axis still gets a width
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)  # grid_x[i, j] = xs[j], grid_y[i, j] = ys[i]
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)
    return xs, ys, points


# ---------------------------------------------------------------------------------------------
# CSV loading


class DataError(ValueError):
    """A data file a user supplied is unusable. ``str(err)`` is one sentence for the user."""


@dataclass(frozen=True, eq=False)
class CsvData:
    """A validated CSV file: numeric features and one target column.

    ``task_kind`` is "binary" when the target holds exactly two distinct values; they are mapped
    to 0 and 1 and ``classes[k]`` is the original text of class k (numbers in numeric order, text
    in sorted order). Otherwise the target must be numeric and the task is "regression". A target
    of a few distinct whole numbers (say grades 1..5) is still regression, since multi-class
    classification is not supported; ``notes`` then says so. ``notes`` also mentions a
    non-comma separator or a Latin-1 fallback, for the dashboard to show as info.
    """

    feature_names: tuple[str, ...]
    target_name: str
    x: np.ndarray  # float32 (n, n_features)
    y: np.ndarray  # float32 (n, 1)
    task_kind: Literal["binary", "regression"]
    classes: tuple[str, ...] | None
    notes: tuple[str, ...] = ()


# Cells that mean "no value" in the exports people actually upload (pandas, R, Excel, SQL).
_MISSING = {"", "nan", "na", "n/a", "null", "none", "#n/a", "-nan"}
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_BINARY_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or zip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) workbook",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
}
_SAVE_AS_CSV = "save the sheet as CSV (comma-separated values) and load that"


def load_csv(
    source: bytes | str | os.PathLike,
    target: str | None = None,
    *,
    max_bytes: int = 5_000_000,
    max_rows: int = 20_000,
    max_columns: int = 64,
    min_rows: int = 16,
) -> CsvData:
    """Read a CSV file of numeric feature columns and one target column.

    ``source`` is the file's content (bytes, e.g. an upload) or a path (str or PathLike).
    ``target`` names the target column; None means the last column. The first non-blank line
    is the header. Blank lines (and rows of only empty cells, as spreadsheets export) are
    skipped. Text is read as UTF-8 (with or without BOM, or UTF-16 with a BOM), falling back to
    Latin-1. The separator is a comma, unless the header has no comma but semicolons or tabs.

    Every problem raises :class:`DataError` with one sentence naming the column, the 1-based
    line number as an editor shows it, and what is allowed.
    """
    try:
        return _load_csv(source, target, max_bytes, max_rows, max_columns, min_rows)
    except DataError:
        raise
    except MemoryError:
        raise DataError("the file is too large to load into memory") from None
    except Exception as exc:  # the promise: a user sees a sentence, never a traceback
        detail = _clip(f"{type(exc).__name__}: {exc}", 80)
        raise DataError(f"the file could not be read as CSV ({detail})") from exc


def csv_text(raw: bytes, max_bytes: int = MAX_CSV_CHARS) -> str:
    """An uploaded file as the text a config carries in data.csv: checked by :func:`load_csv`
    (one-sentence DataError otherwise) and decoded as it decodes it (UTF-8, UTF-16 or Latin-1)."""
    load_csv(raw, max_bytes=max_bytes)
    return _decode(raw)[0]


@functools.lru_cache(maxsize=16)
def uploaded_table(text: str, target: str | None = None) -> CsvData:
    """data.csv parsed (cached: every validation of a config on the page reads it)."""
    return load_csv(text.encode("utf-8"), target, max_bytes=4 * MAX_CSV_CHARS)  # UTF-8: 1-4 B/char


def _load_csv(
    source: bytes | str | os.PathLike,
    target: str | None,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    min_rows: int,
) -> CsvData:
    raw = _read_bytes(source, max_bytes)
    text, notes = _decode(raw)
    # newline="": split on \r, \n and \r\n alike, as the csv reader below does. A line of only
    # separators is a blank spreadsheet row, not the header.
    lines = io.StringIO(text, newline="")
    first = next((line for line in lines if line.strip().strip(",;\t ")), None)
    if first is None:
        raise DataError(
            "the file is empty; a CSV needs a header line of column names and at least "
            f"{min_rows} data rows"
        )
    delimiter = _delimiter(first)
    if delimiter != ",":
        notes.append(f"the file is read with {_SEPARATOR_NAMES[delimiter]} as the separator")
    # Fail fast on a huge header before the csv module builds one string per field.
    if '"' not in first and first.count(delimiter) + 1 > max_columns:
        _too_many_columns(first.count(delimiter) + 1, max_columns)

    header, header_line, rows, row_lines = _read_rows(text, delimiter, max_rows, max_columns)
    if header is None:  # only whitespace-only cells: nothing to name the columns
        raise DataError("the file has no header line; the first line must name every column")
    target_index = _target_index(header, target)
    if not rows:
        raise DataError(
            f"the file has a header (line {header_line}) but no data rows; at least {min_rows} "
            "are needed"
        )
    if len(rows) < min_rows:
        raise DataError(
            f"the file has {len(rows)} data row{'s' * (len(rows) != 1)}; at least {min_rows} are "
            "needed to train and test a model"
        )

    columns = [[cell.strip() for cell in column] for column in zip(*rows, strict=True)]
    target_name = header[target_index]
    y_cells = columns[target_index]
    text_classes = _text_classes(y_cells, target_name)

    # Report the earliest bad cell in file order, as a user fixes a file top to bottom.
    problems, values = [], {}
    for k, (name, cells) in enumerate(zip(header, columns, strict=True)):
        if k == target_index and text_classes is not None:
            found = _missing_problem(cells, name, row_lines, is_target=True)
        else:
            values[k], found = _numbers(cells, name, row_lines, is_target=k == target_index)
        if found is not None:
            problems.append((found[0], k, found[1]))
    if problems:
        raise DataError(min(problems)[2])

    feature_idx = [k for k in range(len(header)) if k != target_index]
    x = np.empty((len(rows), len(feature_idx)), dtype=np.float32)
    for j, k in enumerate(feature_idx):
        x[:, j] = values[k]

    if text_classes is not None:
        classes = text_classes
        y = np.array([cell == classes[1] for cell in y_cells], dtype=np.float32)
        task_kind = "binary"
    else:
        y_values = values[target_index]
        distinct = np.unique(y_values)
        if len(distinct) == 1:
            _constant_target(target_name, y_cells[0])
        if len(distinct) == 2:
            # Each class keeps the text of its first occurrence ('1' rather than '1.0').
            classes = tuple(y_cells[int(np.argmax(y_values == d))] for d in distinct)
            y = (y_values == distinct[1]).astype(np.float32)
            task_kind = "binary"
        else:
            classes, y, task_kind = None, y_values.astype(np.float32), "regression"
            if len(distinct) <= 10 and np.all(distinct == np.round(distinct)):
                notes.append(
                    f"the target {_quote(target_name)} has {len(distinct)} distinct whole-number "
                    "values; it is treated as a number to predict (regression), since multi-class "
                    "classification is not supported"
                )
    return CsvData(
        feature_names=tuple(header[k] for k in feature_idx),
        target_name=target_name,
        x=x,
        y=y.reshape(-1, 1),
        task_kind=task_kind,
        classes=classes,
        notes=tuple(notes),
    )


def _read_bytes(source: bytes | str | os.PathLike, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
        if len(raw) > max_bytes:
            _too_large(len(raw), max_bytes)
        return raw
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    path = os.fspath(source)
    name = _quote(os.path.basename(path) or path)
    try:
        size = os.stat(path).st_size
        if size > max_bytes:  # checked before reading, so a huge file costs nothing
            _too_large(size, max_bytes)
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DataError(f"the file {name} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{name} is a folder, not a CSV file") from None
    except PermissionError:
        raise DataError(f"the file {name} cannot be read (permission denied)") from None
    except OSError as exc:
        raise DataError(f"the file {name} cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:  # the file grew between stat and read
        _too_large(len(raw), max_bytes)
    return raw


def _too_large(size: int, limit: int) -> None:
    raise DataError(
        f"the file is {size:,} bytes ({size / 1e6:.1f} MB); the limit is {limit:,} bytes "
        f"({limit / 1e6:.1f} MB)"
    )


def _decode(raw: bytes) -> tuple[str, list[str]]:
    notes: list[str] = []
    if not raw.strip():
        return "", notes
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: full of NUL bytes, yet text.
        try:
            return raw.decode("utf-16"), notes
        except UnicodeDecodeError:
            pass
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"the file is {what}, not CSV text; {_SAVE_AS_CSV}")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"the file contains binary data (a NUL byte at byte {nul:,}), not CSV text; "
            f"{_SAVE_AS_CSV}"
        )
    try:
        text = raw.decode("utf-8-sig")  # strips a BOM when there is one
    except UnicodeDecodeError:
        # Latin-1 maps every byte, so it cannot fail; for a numeric file only names can be off.
        text = raw.decode("latin-1")
        notes.append("the file is not UTF-8, so it is read as Latin-1")
    sample = text[:100_000]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v") + sample.count("\x7f")
    if controls > 0.01 * len(sample):
        raise DataError(
            f"the file contains binary data ({controls:,} control characters in its first "
            f"{len(sample):,}), not CSV text; {_SAVE_AS_CSV}"
        )
    return text, notes


_SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _delimiter(header: str) -> str:
    # Excel in decimal-comma locales writes ';'; "Text (tab-delimited)" writes tabs.
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def _read_rows(
    text: str, delimiter: str, max_rows: int, max_columns: int
) -> tuple[list[str] | None, int, list[list[str]], list[int]]:
    """Parse the header and the data rows; each row keeps the line number it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    row_lines: list[int] = []
    previous_end = 0
    try:
        for fields in reader:
            line, previous_end = previous_end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if header is None:
                header, header_line = [field.strip() for field in fields], line
                _check_header(header, header_line, max_columns)
                continue
            if len(fields) != len(header):
                hint = ""
                if len(fields) == len(header) + 1 and not fields[-1].strip():
                    hint = " (a trailing separator at the end of the line?)"
                raise DataError(
                    f"line {line} has {len(fields)} fields but the header (line {header_line}) "
                    f"has {len(header)} columns{hint}; every row needs one value per column"
                )
            if len(rows) == max_rows:
                raise DataError(
                    f"the file has more than {max_rows:,} data rows (line {line} is row "
                    f"{max_rows + 1:,}); the limit is {max_rows:,}"
                )
            rows.append(fields)
            row_lines.append(line)
    except csv.Error as exc:
        _csv_error(exc, previous_end + 1)
    return header, header_line, rows, row_lines


def _csv_error(exc: csv.Error, line: int) -> None:
    message = str(exc)
    if "unexpected end of data" in message:
        raise DataError(
            f'the quote (") that opens a field on line {line} is never closed; close it or '
            "remove it"
        ) from None
    if "expected after" in message:
        raise DataError(
            f'line {line} has a quote (") inside a field; quote whole fields, e.g. "a, b", and '
            'double quotes inside them ("")'
        ) from None
    if "field larger than field limit" in message:
        raise DataError(
            f"line {line} has a cell longer than {csv.field_size_limit():,} characters; cells "
            "must be numbers or short names"
        ) from None
    raise DataError(f"line {line} is not valid CSV ({_clip(message, 60)})") from None


def _check_header(header: list[str], line: int, max_columns: int) -> None:
    if len(header) > max_columns:
        _too_many_columns(len(header), max_columns)
    if len(header) == 1:
        raise DataError(
            f"the file has only one column ({_quote(header[0])}); it needs at least one feature "
            "column and a target column, separated by commas"
        )
    if all(_is_number(name) for name in header):
        shown = ", ".join(_quote(name) for name in header[:3])
        raise DataError(
            f"the header (line {line}) holds numbers ({shown}{', ...' * (len(header) > 3)}), "
            "not column names; add a first line that names each column"
        )
    for k, name in enumerate(header):
        if not name:
            raise DataError(
                f"column {k + 1} has no name in the header (line {line}); every column needs a name"
            )
    seen: dict[str, int] = {}
    for k, name in enumerate(header):
        if name in seen:
            raise DataError(
                f"the column name {_quote(name)} appears twice in the header (columns "
                f"{seen[name] + 1} and {k + 1}); column names must be unique"
            )
        seen[name] = k


def _too_many_columns(count: int, limit: int) -> None:
    raise DataError(
        f"the header has {count:,} columns; the limit is {limit} (up to {limit - 1} features and "
        "one target)"
    )


def _target_index(header: list[str], target: str | None) -> int:
    if target is None:
        return len(header) - 1
    wanted = target.strip()
    if wanted in header:
        return header.index(wanted)
    close = difflib.get_close_matches(wanted, header, n=1, cutoff=0.6)
    by_case = [name for name in header if name.lower() == wanted.lower()]
    guess = (by_case or close or [None])[0]
    hint = f" (did you mean {_quote(guess)}?)" if guess else ""
    shown = ", ".join(_quote(name) for name in header[:8])
    more = f", ... ({len(header)} in all)" if len(header) > 8 else ""
    raise DataError(
        f"there is no column named {_quote(wanted)}{hint}; the columns are {shown}{more}"
    )


def _text_classes(cells: list[str], name: str) -> tuple[str, ...] | None:
    """The two classes of a text target, None for a numeric target; raise if it is neither."""
    if all(_is_number(cell) or cell.lower() in _MISSING for cell in cells):
        return None
    labels = {cell: None for cell in cells if cell.lower() not in _MISSING}
    if any(label.startswith("=") for label in labels):
        return None  # let the cell scan report the formula with its line
    if len(labels) == 2:
        return tuple(sorted(labels))
    if len(labels) == 1:
        _constant_target(name, next(iter(labels)))
    numeric = sum(_is_number(cell) for cell in cells)
    if numeric > len(cells) / 2:
        return None  # mostly numbers: the cell scan names the stray text and its line
    shown = ", ".join(_quote(label) for label in list(labels)[:4])
    raise DataError(
        f"the target column {_quote(name)} holds text with {len(labels)} different values "
        f"({shown}{', ...' * (len(labels) > 4)}); a target must be numbers (regression) or have "
        "exactly two classes (binary), since multi-class targets are not supported"
    )


def _constant_target(name: str, value: str) -> None:
    raise DataError(
        f"the target column {_quote(name)} has the same value ({_quote(value)}) on every row; a "
        "model cannot learn anything from a constant target"
    )


def _numbers(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[np.ndarray, tuple[int, str] | None]:
    """A numeric column as (float64 values, None), or (_, (line, message)) of its first bad cell."""
    try:
        values = np.array(cells, dtype=np.float64)  # fast path: numpy parses as float() does
    except ValueError:
        values = None
    if values is not None and np.all(np.abs(values) <= _FLOAT32_MAX):  # also False for NaN
        return values, None
    for i, cell in enumerate(cells):
        message = _cell_problem(cell, _column(name, is_target), lines[i])
        if message is not None:
            return np.empty(0), (lines[i], message)
    raise AssertionError("a column that failed to parse has no bad cell")


def _missing_problem(
    cells: list[str], name: str, lines: list[int], is_target: bool
) -> tuple[int, str] | None:
    for i, cell in enumerate(cells):
        if cell.lower() in _MISSING:
            return lines[i], _missing_message(cell, _column(name, is_target), lines[i])
    return None


def _cell_problem(cell: str, column: str, line: int) -> str | None:
    if cell.lower() in _MISSING:
        return _missing_message(cell, column, line)
    if cell.startswith("="):
        return (
            f"{column} has a spreadsheet formula on line {line} ({_quote(cell)}); formulas are "
            "not evaluated, so save the sheet with computed values (or paste as values) first"
        )
    try:
        value = float(cell)
    except ValueError:
        hint = "; use a dot as the decimal separator" if _DECIMAL_COMMA.match(cell) else ""
        return f"{column} has text on line {line} ({_quote(cell)}) where a number is expected{hint}"
    if math.isnan(value):
        return _missing_message(cell, column, line)
    if math.isinf(value):
        return (
            f"{column} has an infinite value on line {line} ({_quote(cell)}); every cell must be "
            "a finite number"
        )
    if abs(value) > _FLOAT32_MAX:
        return (
            f"{column} has a value too large on line {line} ({_quote(cell)}); values must lie "
            "within ±3.4e38"
        )
    return None


def _missing_message(cell: str, column: str, line: int) -> str:
    what = "an empty cell" if not cell else f"a missing value ({_quote(cell)})"
    return (
        f"{column} has {what} on line {line}; every cell needs a value, so fill it in or delete "
        "the row"
    )


def _column(name: str, is_target: bool) -> str:
    return f"the target column {_quote(name)}" if is_target else f"column {_quote(name)}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(text: str, limit: int = 30) -> str:
    # repr() would double backslashes and escape quotes; users see the plain text in quotes.
    return "'" + _clip(text, limit).replace("\n", " ") + "'"
