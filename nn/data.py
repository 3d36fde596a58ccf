"""Mini-batch iteration over NumPy arrays, and one-hot encoding of labels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Union

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["DataLoader", "one_hot"]

Batch = Union[NDArray[Any], tuple[NDArray[Any], ...]]


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Parameters
    ----------
    data : numpy.ndarray, tuple of array-likes, or map-style dataset
        * a single array: batches are arrays;
        * a tuple of arrays sharing their first dimension, e.g. ``(X, y)``: batches
          are tuples ``(X[idx], y[idx])``;
        * any other object with ``__len__`` and ``__getitem__`` (a map-style dataset,
          including a list of samples): samples ``data[i]`` are stacked with
          :func:`numpy.stack`, field by field when a sample is a tuple.
    batch_size : int, default 1
        Samples per batch. The last batch is smaller when ``batch_size`` does not
        divide the number of samples, unless ``drop_last``.
    shuffle : bool, default False
        Visit the samples in a new random order on every pass (every ``iter()``).
    drop_last : bool, default False
        Drop the final incomplete batch.
    seed : int, optional
        Seeds the generator behind ``shuffle``, once, at construction: two loaders with
        the same seed produce the same sequence of epochs, and successive epochs of one
        loader differ. ``None`` draws fresh entropy.

    Notes
    -----
    Batches are new arrays (copies), never views of ``data``, so modifying a batch in
    place does not change the dataset.

    Examples
    --------
    >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for _, yb in DataLoader((X, y), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        data: NDArray[Any] | tuple[Any, ...] | Sequence[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

        self._arrays: tuple[NDArray[Any], ...] | None
        if isinstance(data, np.ndarray):
            self._single = True
            self._arrays = (self._check_array(data, 0),)
        elif isinstance(data, tuple):
            if not data:
                raise ValueError("DataLoader: needs at least one array, got an empty tuple")
            self._single = False
            self._arrays = tuple(self._check_array(np.asarray(a), i) for i, a in enumerate(data))
            lengths = [len(a) for a in self._arrays]
            if len(set(lengths)) > 1:
                shapes = ", ".join(f"#{i}: {a.shape}" for i, a in enumerate(self._arrays))
                raise ValueError(
                    "DataLoader: all arrays must have the same first dimension (number of samples), "
                    f"got shapes {shapes}"
                )
        elif hasattr(data, "__len__") and hasattr(data, "__getitem__"):
            self._single = False
            self._arrays = None
        else:
            raise TypeError(
                "DataLoader: data must be an ndarray, a tuple of arrays or a map-style dataset "
                f"(with __len__ and __getitem__), got {type(data).__name__}"
            )
        self.data = data
        self._n = len(self._arrays[0]) if self._arrays is not None else len(data)

    @staticmethod
    def _check_array(array: NDArray[Any], position: int) -> NDArray[Any]:
        if array.ndim == 0:
            raise ValueError(
                f"DataLoader: array #{position} is 0-dimensional: expected a leading sample "
                f"dimension"
            )
        return array

    @property
    def num_samples(self) -> int:
        """Number of samples in the dataset."""
        return self._n

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self._n // self.batch_size
        return -(-self._n // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        # Draw the permutation now, not lazily, so that every iter() call advances the
        # generator exactly once, however far the previous epoch was consumed.
        order = self._rng.permutation(self._n) if self.shuffle else np.arange(self._n)
        return self._batches(order)

    def _batches(self, order: NDArray[np.intp]) -> Iterator[Batch]:
        stop = len(self) * self.batch_size if self.drop_last else self._n
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            if self._arrays is not None:
                batch = tuple(a[idx] for a in self._arrays)
                yield batch[0] if self._single else batch
            else:
                yield self._collate([self.data[int(i)] for i in idx])  # type: ignore[index]

    @staticmethod
    def _collate(samples: list[Any]) -> Batch:
        first = samples[0]
        if isinstance(first, tuple):
            return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(first)))
        return np.stack([np.asarray(s) for s in samples])

    def __repr__(self) -> str:
        return (
            f"DataLoader(num_samples={self._n}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )


def one_hot(
    labels: Any,
    num_classes: int | None = None,
    dtype: DTypeLike = np.float32,
) -> NDArray[Any]:
    """One-hot encode integer class labels.

    Parameters
    ----------
    labels : array-like of int
        Class indices, any shape.
    num_classes : int, optional
        Number of classes; defaults to ``labels.max() + 1``.
    dtype : dtype, default float32
        Element type of the result.

    Returns
    -------
    numpy.ndarray
        Shape ``labels.shape + (num_classes,)``, 1 at each label's index, 0 elsewhere.

    Raises
    ------
    TypeError
        If the labels are not integers (floats and booleans are rejected rather than
        silently truncated).
    ValueError
        If a label is negative or not below ``num_classes``, or ``num_classes`` cannot be
        inferred because ``labels`` is empty.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs integer labels, got dtype {arr.dtype}")
    if num_classes is None:
        if arr.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty labels: pass num_classes")
        num_classes = int(arr.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be non-negative, got {num_classes}")
    bad = (arr < 0) | (arr >= num_classes)
    if bad.any():
        flat = int(np.flatnonzero(bad)[0])
        where = tuple(int(i) for i in np.unravel_index(flat, arr.shape)) if arr.ndim > 1 else flat
        raise ValueError(
            f"one_hot: label out of range: expected 0 <= label < {num_classes}, "
            f"found {arr.reshape(-1)[flat]} "
            f"at index {where} ({int(bad.sum())} labels out of range)"
        )
    out = np.zeros(arr.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, arr[..., None].astype(np.intp), 1, axis=-1)
    return out
