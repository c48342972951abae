"""The sizes every set of loaded inputs reports: rows (``n_examples``) and classes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


class InputDims:
    """``n_examples`` and ``n_classes`` of inputs with row-major ``labels`` and ``classes``."""

    labels: np.ndarray
    classes: list[Any]

    @property
    def n_examples(self) -> int:
        """Number of rows."""
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)
