"""The engine's data: seeded task generators, trivial baselines, noise floors and plot grids.

Owns everything a model is fed. :func:`make_dataset` turns a :class:`DataConfig` into arrays,
deterministically (same config => bit-identical arrays) and without downloads:

* 2-D sets after TensorFlow Playground's ``dataset.ts``: ``circle``, ``xor``, ``gauss``, ``spiral``
  (binary, labels 0/1) and ``plane``, ``multigauss`` (regression, targets about [-1, 1]);
* sequence tasks: ``adding`` (Hochreiter & Schmidhuber's adding problem) and ``recall`` (name the
  first token of a noisy sequence);
* an image task: ``shapes`` (16x16 grayscale images of a horizontal bar, a vertical bar or a
  cross, anywhere in the frame, in Gaussian pixel noise);
* a user's uploaded table (``data.name`` 'csv'), read and checked by models.tables, standardized.

Imports only numpy and the stdlib (never TensorFlow, Keras or streamlit): the dashboard's
server process validates configs and computes baselines with it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from models.config import CSV_DATASET, DataConfig
from models.tables import CsvData
from models.tasks import RECALL_CLASSES, SHAPES, TaskSpec

__all__ = [
    "Dataset",
    "grid_for",
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
