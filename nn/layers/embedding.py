"""``Embedding``: a lookup table of vectors, PyTorch's layer (``padding_idx``,
``max_norm``), its weight of shape (num_embeddings, embedding_dim)."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as al

from .. import init
from .._checks import check_int
from ..functional.attention import _embedding, _padding_index
from ..module import Module, Parameter, aligned_array

Tensor = al.Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table: ``Embedding(num_embeddings, embedding_dim)(indices)`` returns
    ``weight[indices]``, of shape ``indices.shape + (embedding_dim,)``.

    The weight (num_embeddings, embedding_dim) starts from N(0, 1), as in PyTorch.
    ``padding_idx`` names a row that starts at zero and gets no gradient (the token that
    pads short sequences); ``max_norm`` rescales each row used to at most that norm. That
    rescaling changes the weight in place: a lookup recorded before it can no longer be
    backpropagated (an ``InplaceModificationError`` says so), where PyTorch, whose lookup
    keeps no copy of the weight for backward, goes on.

    Examples
    --------
    >>> import numpy as np, nn
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(np.array([[1, 0], [4, 4]])).shape
    (2, 2, 3)
    >>> emb.weight.data[0]
    array([0., 0., 0.], dtype=float32)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, _weight: Any = None,
                 _freeze: bool = False, dtype: Any = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings = check_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_int(embedding_dim, "embedding_dim", "Embedding")
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, float(norm_type)
        shape = (self.num_embeddings, self.embedding_dim)
        dt = np.dtype(dtype or al.get_default_dtype())
        if _weight is None:
            self.weight = Parameter(aligned_array(shape, dt), requires_grad=not _freeze)
            init.normal_(self.weight, generator=generator)
            if self.padding_idx is not None:
                with al.no_grad():
                    self.weight.data[self.padding_idx] = 0
        else:
            w = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if w.shape != shape:
                raise ValueError(f"Embedding: _weight must have shape {shape} (num_embeddings, "
                                 f"embedding_dim), got {w.shape}")
            self.weight = Parameter(aligned_array(shape, w.dtype if w.dtype.kind == "f" else dt, w),
                                    requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (num_embeddings, embedding_dim),
        frozen (no gradient) unless ``freeze=False``."""
        w = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if w.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                             f"embedding_dim), got shape {w.shape}")
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type, _weight=w,
                   _freeze=freeze)

    def forward(self, input: Any) -> Tensor:
        return _embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                          f"Embedding({self.num_embeddings}, {self.embedding_dim})")

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
