"""Tasks: what each generated dataset feeds a model and asks back.

:data:`TASKS` is read by the config's rules (which archs fit which task), the data generators,
the builders (the output head and its loss) and the trainer. Imports nothing of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TaskKind = Literal[
    "binary", "regression", "sequence_regression", "sequence_classes", "image_classes"
]


@dataclass(frozen=True)
class TaskSpec:
    """What a dataset feeds in and asks back."""

    kind: TaskKind
    # features per sample (2-D tasks), per time step (sequence tasks) or channels per pixel (images)
    input_dim: int
    n_outputs: int  # units of the output head
    loss: Literal["binary_crossentropy", "mse", "sparse_categorical_crossentropy"]
    title: str
    image_size: int = 0  # side of the square image (image tasks); 0 otherwise

    @property
    def is_sequence(self) -> bool:
        return self.kind.startswith("sequence")

    @property
    def is_image(self) -> bool:
        return self.kind == "image_classes"

    @property
    def is_tabular(self) -> bool:
        """A vector of features in, one number out: the tasks an MLP takes."""
        return self.kind in ("binary", "regression")

    @property
    def is_2d(self) -> bool:
        """A point in the plane in, one number out: the tasks with a decision-boundary grid."""
        return self.is_tabular and self.input_dim == 2

    @property
    def is_classification(self) -> bool:
        return self.kind in ("binary", "sequence_classes", "image_classes")

    @property
    def head_activation(self) -> str:
        """The output layer's activation, matched to the loss."""
        return {
            "binary": "sigmoid",
            "regression": "linear",
            "sequence_regression": "linear",
            "sequence_classes": "softmax",
            "image_classes": "softmax",
        }[self.kind]


RECALL_CLASSES = 4  # vocabulary of the recall task; chance accuracy is 1/4
SHAPES = ("horizontal bar", "vertical bar", "cross")  # the shapes task's classes, by label id
IMAGE_SIZE = 16  # the shapes task's images are IMAGE_SIZE x IMAGE_SIZE pixels, one channel

TASKS: dict[str, TaskSpec] = {
    "circle": TaskSpec("binary", 2, 1, "binary_crossentropy", "Circle (inside vs outside)"),
    "xor": TaskSpec("binary", 2, 1, "binary_crossentropy", "XOR (quadrants)"),
    "gauss": TaskSpec("binary", 2, 1, "binary_crossentropy", "Two Gaussians"),
    "spiral": TaskSpec("binary", 2, 1, "binary_crossentropy", "Two spirals"),
    "plane": TaskSpec("regression", 2, 1, "mse", "Plane (linear regression)"),
    "multigauss": TaskSpec("regression", 2, 1, "mse", "Multi-Gaussian surface (regression)"),
    "adding": TaskSpec(
        "sequence_regression", 2, 1, "mse", "Adding problem (sum of two marked values)"
    ),
    "recall": TaskSpec(
        "sequence_classes",
        RECALL_CLASSES,
        RECALL_CLASSES,
        "sparse_categorical_crossentropy",
        "Recall the first token after a noisy sequence",
    ),
    "shapes": TaskSpec(
        "image_classes",
        1,
        len(SHAPES),
        "sparse_categorical_crossentropy",
        f"Shapes: horizontal bar, vertical bar or cross ({IMAGE_SIZE}x{IMAGE_SIZE} images)",
        image_size=IMAGE_SIZE,
    ),
}
