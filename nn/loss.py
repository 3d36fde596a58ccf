"""Loss modules: each stores its options and calls the ``nn.functional`` loss."""

from __future__ import annotations

from typing import Any

import autograd_lite as al

from . import functional as F
from .module import Module


class _Loss(Module):
    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in self._reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of "
                             f"{', '.join(map(repr, self._reductions))}; got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        # A buffer, as in PyTorch: saved with the state and cast by .to(dtype).
        self.register_buffer("weight", None if weight is None else al.Tensor(weight))


class MSELoss(_Loss):
    """Mean squared error ``(x - y)**2``."""

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|``."""

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Quadratic within ``delta`` of the target, linear beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """``huber_loss(delta=beta) / beta``."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class LogCoshLoss(_Loss):
    """``log(cosh(x - y))``."""

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.log_cosh_loss(input, target, self.reduction)


class QuantileLoss(_Loss):
    """Pinball loss for the ``quantile``-quantile."""

    def __init__(self, quantile: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if not 0.0 < quantile < 1.0:
            raise ValueError(f"QuantileLoss: quantile must be in (0, 1), got {quantile}")
        self.quantile = quantile

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.quantile_loss(input, target, self.quantile, self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities (clipped inside the logs)."""

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits (stable for any logit)."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None else al.Tensor(pos_weight))

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy from logits, with class-index or class-probability targets."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood from log-probabilities."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class HingeLoss(_Loss):
    """``max(0, margin - y x)`` with ``y`` in {-1, +1}."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.hinge_loss(input, target, self.margin, self.reduction)


class SquaredHingeLoss(HingeLoss):
    """``max(0, margin - y x)**2`` with ``y`` in {-1, +1}."""

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.squared_hinge_loss(input, target, self.margin, self.reduction)


class KLDivLoss(_Loss):
    """KL divergence with log-probability input; prefer ``reduction='batchmean'``."""

    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)


class FocalLoss(_Loss):
    """Binary focal loss from logits."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.alpha, self.gamma = alpha, gamma

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.focal_loss(input, target, self.alpha, self.gamma, self.reduction)


class ContrastiveLoss(_Loss):
    """Contrastive loss for embedding pairs (target 1 = similar, 0 = dissimilar):
    ``0.5 y d**2 + 0.5 (1 - y) max(0, margin - d)**2``, without the ``0.5`` if
    ``half=False`` (see :func:`nn.functional.contrastive_loss`)."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean", half: bool = True) -> None:
        super().__init__(reduction)
        if not isinstance(half, bool):
            raise TypeError(f"ContrastiveLoss: half must be a bool, got {half!r}")
        self.margin, self.half = margin, half

    def forward(self, x1: Any, x2: Any, target: Any) -> al.Tensor:
        return F.contrastive_loss(x1, x2, target, self.margin, self.reduction, self.half)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}, half={self.half}"


class TripletMarginLoss(_Loss):
    """``max(0, d(a, p) - d(a, n) + margin)``."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Any, positive: Any, negative: Any) -> al.Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, self.reduction)


class DiceLoss(_Loss):
    """``1 - Dice coefficient`` per sample, from probabilities."""

    def __init__(self, smooth: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.smooth = smooth

    def forward(self, input: Any, target: Any) -> al.Tensor:
        return F.dice_loss(input, target, self.smooth, self.reduction)
