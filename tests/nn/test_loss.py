"""Losses: values against NumPy formulas for every reduction, gradients, extremes, errors."""

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from gradcheck_helpers import check_grad, leaf

rng = np.random.default_rng(0)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _logsoftmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _reduce(v, reduction):
    return {"mean": v.mean(), "sum": v.sum(), "none": v}[reduction]


def _reals(shape):
    # away from 0 and from +-1 so that no case sits on a kink (|d| = delta, margin)
    x = rng.uniform(0.1, 2.0, shape) * rng.choice([-1, 1], shape)
    return np.where(np.abs(np.abs(x) - 1) < 0.05, x + 0.2, x)


def _probs(shape):
    return rng.uniform(0.05, 0.95, shape)


def _pm1(shape):
    return rng.choice([-1.0, 1.0], shape)


def _focal_ref(x, y, alpha=0.25, gamma=2.0):
    p = _sig(x)
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    pt = p * y + (1 - p) * (1 - y)
    return (alpha * y + (1 - alpha) * (1 - y)) * (1 - pt) ** gamma * ce


# name: (functional call, module, NumPy elementwise reference, input maker, target maker)
ELEMENTWISE = {
    "mse": (lambda x, y, r: F.mse_loss(x, y, r), nn.MSELoss, lambda x, y: (x - y) ** 2, _reals, _reals),
    "l1": (lambda x, y, r: F.l1_loss(x, y, r), nn.L1Loss, lambda x, y: np.abs(x - y), _reals, _reals),
    "huber": (lambda x, y, r: F.huber_loss(x, y, r, delta=0.7),
              lambda reduction: nn.HuberLoss(reduction, delta=0.7),
              lambda x, y: np.where(np.abs(x - y) <= 0.7, 0.5 * (x - y) ** 2, 0.7 * (np.abs(x - y) - 0.35)),
              _reals, _reals),
    "smooth_l1": (lambda x, y, r: F.smooth_l1_loss(x, y, r, beta=0.5),
                  lambda reduction: nn.SmoothL1Loss(reduction, beta=0.5),
                  lambda x, y: np.where(np.abs(x - y) < 0.5, (x - y) ** 2, np.abs(x - y) - 0.25),
                  _reals, _reals),
    "log_cosh": (lambda x, y, r: F.log_cosh_loss(x, y, r), nn.LogCoshLoss,
                 lambda x, y: np.log(np.cosh(x - y)), _reals, _reals),
    "quantile": (lambda x, y, r: F.quantile_loss(x, y, 0.3, r),
                 lambda reduction: nn.QuantileLoss(0.3, reduction),
                 lambda x, y: np.maximum(0.3 * (y - x), -0.7 * (y - x)), _reals, _reals),
    "bce": (lambda x, y, r: F.binary_cross_entropy(x, y, reduction=r), nn.BCELoss,
            lambda p, y: -(y * np.log(p) + (1 - y) * np.log(1 - p)), _probs, _probs),
    "bce_logits": (lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
                   nn.BCEWithLogitsLoss,
                   lambda x, y: -(y * np.log(_sig(x)) + (1 - y) * np.log(1 - _sig(x))), _reals, _probs),
    "hinge": (lambda x, y, r: F.hinge_loss(x, y, reduction=r), nn.HingeLoss,
              lambda x, y: np.maximum(0, 1 - x * y), _reals, _pm1),
    "squared_hinge": (lambda x, y, r: F.squared_hinge_loss(x, y, reduction=r), nn.SquaredHingeLoss,
                      lambda x, y: np.maximum(0, 1 - x * y) ** 2, _reals, _pm1),
    "focal": (lambda x, y, r: F.focal_loss(x, y, reduction=r), nn.FocalLoss, _focal_ref,
              _reals, lambda s: rng.integers(0, 2, s).astype(float)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_losses_match_numpy(name, reduction):
    fn, module, ref, make_x, make_y = ELEMENTWISE[name]
    x, y = make_x((4, 3)), make_y((4, 3))
    expected = _reduce(ref(x, y), reduction)
    np.testing.assert_allclose(fn(x, y, reduction).data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(module(reduction=reduction)(x, y).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_loss_gradients(name):
    fn, _, _, make_x, make_y = ELEMENTWISE[name]
    x, y = leaf(make_x((3, 4))), make_y((3, 4))
    check_grad(lambda: fn(x, y, "none"), [x])
    check_grad(lambda: fn(x, y, "mean"), [x])
    if name in ("mse", "l1", "huber", "smooth_l1", "log_cosh", "quantile", "bce_logits"):
        t = leaf(y)   # a target that requires grad is differentiated too
        check_grad(lambda: fn(x, t, "sum"), [x, t])


def test_bce_and_bce_with_logits_weights():
    p, y, w = _probs((4, 3)), _probs((4, 3)), rng.uniform(0.5, 2, 3)
    ref = -(y * np.log(p) + (1 - y) * np.log(1 - p)) * w
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, w).data, ref.mean(), rtol=1e-10)
    np.testing.assert_allclose(nn.BCELoss(weight=w, reduction="sum")(p, y).data, ref.sum(), rtol=1e-10)
    x, pw = _reals((4, 3)), rng.uniform(0.5, 3, 3)
    ref = -(pw * y * np.log(_sig(x)) + (1 - y) * np.log(1 - _sig(x))) * w
    got = F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=1e-10)
    xt = leaf(x)
    check_grad(lambda: F.binary_cross_entropy_with_logits(xt, y, w, pos_weight=pw), [xt])
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(w, pos_weight=pw)(x, y).data, ref.mean(), rtol=1e-10)


def test_bce_on_probabilities_is_clipped_not_infinite():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none").data
    np.testing.assert_allclose(loss, [100, 100, 0, 0], atol=1e-6)         # float64: log clamped at -100
    loss32 = F.binary_cross_entropy(p.astype(np.float32), y, reduction="none").data
    assert np.isfinite(loss32).all() and loss32[0] > 80                    # float32: log(tiny) = -87.3


def test_dice_loss_matches_numpy():
    p, y = _probs((3, 2, 4)), rng.integers(0, 2, (3, 2, 4)).astype(float)
    inter, total = (p * y).sum(axis=(1, 2)), p.sum(axis=(1, 2)) + y.sum(axis=(1, 2))
    ref = 1 - (2 * inter + 1.0) / (total + 1.0)
    np.testing.assert_allclose(F.dice_loss(p, y, reduction="none").data, ref, rtol=1e-12)
    np.testing.assert_allclose(nn.DiceLoss(smooth=1.0)(p, y).data, ref.mean(), rtol=1e-12)
    pt = leaf(p)
    check_grad(lambda: F.dice_loss(pt, y, smooth=0.5, reduction="none"), [pt])


# ---- multi-class ------------------------------------------------------------
def test_cross_entropy_integer_targets_use_the_fused_op():
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    ref = -_logsoftmax(x)[np.arange(5), y]
    for reduction in ("mean", "sum", "none"):
        out = F.cross_entropy(al.Tensor(x, requires_grad=True), y, reduction=reduction)
        assert out.op == "cross_entropy"
        np.testing.assert_allclose(out.data, _reduce(ref, reduction), rtol=1e-12)
    composed = F.cross_entropy(al.Tensor(x, requires_grad=True), y, label_smoothing=0.1)
    assert composed.op != "cross_entropy"
    xt = leaf(x)
    check_grad(lambda: F.cross_entropy(xt, y, reduction="none"), [xt])


def test_cross_entropy_fast_path_still_ignores_the_default_ignore_index():
    # A Tensor and an int ndarray take the fused op, which rejects negative labels:
    # -100 (the default ignore_index) must still be ignored, -5 reported.
    x, y = rng.standard_normal((4, 3)), np.array([0, -100, 2, 1])
    keep = y != -100
    ref = -_logsoftmax(x)[np.arange(4), np.where(keep, y, 0)] * keep
    xt = al.Tensor(x, requires_grad=True)
    np.testing.assert_allclose(F.cross_entropy(xt, y).data, ref.sum() / 3, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(xt, y, reduction="none").data, ref, rtol=1e-12)
    F.cross_entropy(xt, y).backward()
    assert not xt.grad[1].any()
    with pytest.raises(ValueError, match=r"class-index targets must lie in \[0, 3\) \(or equal "
                                         r"ignore_index=-100\); got \[-5\]"):
        F.cross_entropy(xt, np.array([0, -5, 2, 1]))
    # What the fused op rejects, the general path reports, naming the bad labels.
    with pytest.raises(ValueError, match=r"cross_entropy: class-index targets must lie in "
                                         r"\[0, 3\) \(or equal ignore_index=-100\); got \[3\]"):
        F.cross_entropy(xt, np.array([0, 3, 2, 1]))


def test_cross_entropy_ignore_index_past_the_classes():
    # ignore_index=255 with 3 classes (the segmentation convention): those labels
    # are out of the fused op's range but must be ignored, not reported.
    x, y = rng.standard_normal((4, 3)), np.array([0, 255, 2, 1])
    keep = y != 255
    ref = -_logsoftmax(x)[np.arange(4), np.where(keep, y, 0)] * keep
    np.testing.assert_allclose(F.cross_entropy(al.Tensor(x), y, ignore_index=255).data,
                               ref.sum() / 3, rtol=1e-12)


def test_cross_entropy_integer_logits_error():
    for fn in (F.cross_entropy, al.cross_entropy):
        with pytest.raises(TypeError, match=r"cross_entropy: .*logits.* must be floating point"):
            fn(al.Tensor(np.ones((2, 3), np.int64), dtype=np.int64), np.array([0, 1]))


def _ce_ref(x, y, w=None, ignore_index=-100, eps=0.0):
    """-sum_c w_c q_c log softmax(x)_c with q the smoothed one-hot target; ignored rows 0."""
    n, c = x.shape
    w = np.ones(c) if w is None else w
    keep = y != ignore_index
    q = np.zeros((n, c))
    q[np.arange(n)[keep], y[keep]] = 1.0
    q = (1 - eps) * q + eps / c
    loss = -(q * w * _logsoftmax(x)).sum(1) * keep
    return loss, (w[np.where(keep, y, 0)] * keep).sum()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_weight_ignore_index_label_smoothing(weighted, eps, ignore):
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    if ignore:
        y[[1, 4]] = -1
    w = rng.uniform(0.5, 2, 4) if weighted else None
    loss, wsum = _ce_ref(x, y, w, -1, eps)
    kw = dict(weight=w, ignore_index=-1, label_smoothing=eps)
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="none", **kw).data, loss, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="sum", **kw).data, loss.sum(), rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, y, **kw).data, loss.sum() / wsum, rtol=1e-12)
    np.testing.assert_allclose(nn.CrossEntropyLoss(**kw)(x, y).data, loss.sum() / wsum, rtol=1e-12)
    xt = leaf(x)
    check_grad(lambda: F.cross_entropy(xt, y, **kw), [xt])
    if ignore:   # ignored rows get no gradient
        xt.grad = None
        F.cross_entropy(xt, y, **kw).backward()
        assert not xt.grad[[1, 4]].any()


def test_cross_entropy_with_class_probabilities():
    x = rng.standard_normal((5, 3))
    p = np.exp(_logsoftmax(rng.standard_normal((5, 3))))
    w = rng.uniform(0.5, 2, 3)
    ref = -(p * w * _logsoftmax(x)).sum(1)
    np.testing.assert_allclose(F.cross_entropy(x, p, weight=w, reduction="none").data, ref, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, p, weight=w).data, ref.mean(), rtol=1e-12)
    q = 0.9 * p + 0.1 / 3
    np.testing.assert_allclose(F.cross_entropy(x, p, label_smoothing=0.1).data,
                               -(q * _logsoftmax(x)).sum(1).mean(), rtol=1e-12)
    # equal to integer targets when the probabilities are one-hot
    y = rng.integers(0, 3, 5)
    np.testing.assert_allclose(F.cross_entropy(x, np.eye(3)[y]).data, F.cross_entropy(x, y).data)
    xt, pt = leaf(x), leaf(p)
    check_grad(lambda: F.cross_entropy(xt, pt, reduction="none"), [xt, pt])


def test_cross_entropy_unbatched_and_spatial_inputs():
    x = rng.standard_normal((2, 3, 4))          # (N, C, d)
    y = rng.integers(0, 3, (2, 4))
    moved = np.moveaxis(x, 1, -1).reshape(-1, 3)
    ref = -_logsoftmax(moved)[np.arange(8), y.reshape(-1)]
    out = F.cross_entropy(x, y, reduction="none")
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.data.reshape(-1), ref, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, y, label_smoothing=0.1).data,
                               F.cross_entropy(moved, y.reshape(-1), label_smoothing=0.1).data)
    p = np.exp(_logsoftmax(rng.standard_normal((2, 3, 4)), axis=1))
    np.testing.assert_allclose(F.cross_entropy(x, p, reduction="none").data,
                               -(p * _logsoftmax(x, axis=1)).sum(1), rtol=1e-12)
    xt = leaf(x)
    check_grad(lambda: F.cross_entropy(xt, y, reduction="none"), [xt])
    v = rng.standard_normal(3)
    single = F.cross_entropy(v, np.array(2))
    assert single.shape == () and np.isclose(single.item(), -_logsoftmax(v)[2])


def test_nll_loss_matches_cross_entropy_on_log_softmax():
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    y[2] = -100
    w = rng.uniform(0.5, 2, 4)
    logp = _logsoftmax(x)
    ref = -logp[np.arange(6), np.where(y < 0, 0, y)] * w[np.where(y < 0, 0, y)] * (y >= 0)
    np.testing.assert_allclose(F.nll_loss(logp, y, w, reduction="none").data, ref, rtol=1e-12)
    np.testing.assert_allclose(nn.NLLLoss(w)(logp, y).data, ref.sum() / w[y[y >= 0]].sum(), rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, 1), y, w).data,
                               F.cross_entropy(x, y, w).data, rtol=1e-12)
    lt = leaf(logp)
    check_grad(lambda: F.nll_loss(lt, y, w), [lt])


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
def test_kl_div_matches_numpy_with_zero_targets(reduction):
    logq = _logsoftmax(rng.standard_normal((3, 4)))
    p = np.exp(_logsoftmax(rng.standard_normal((3, 4))))
    p[0, 1] = 0.0                               # 0 * log 0 = 0
    pointwise = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - logq), 0)
    expected = pointwise.sum() / 3 if reduction == "batchmean" else _reduce(pointwise, reduction)
    np.testing.assert_allclose(F.kl_div(logq, p, reduction).data, expected, rtol=1e-12)
    np.testing.assert_allclose(nn.KLDivLoss(reduction)(logq, p).data, expected, rtol=1e-12)
    logp = np.log(np.exp(_logsoftmax(rng.standard_normal((3, 4)))))
    np.testing.assert_allclose(F.kl_div(logq, logp, "sum", log_target=True).data,
                               (np.exp(logp) * (logp - logq)).sum(), rtol=1e-12)
    xt = leaf(logq)
    check_grad(lambda: F.kl_div(xt, p, reduction), [xt])


# ---- metric learning --------------------------------------------------------
def test_contrastive_loss_matches_numpy():
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)) * 0.3
    y = np.array([1, 0, 1, 0, 0], float)
    d = np.sqrt(((a - b + 1e-6) ** 2).sum(1))
    ref = 0.5 * (y * d ** 2 + (1 - y) * np.maximum(0, 2.0 - d) ** 2)
    np.testing.assert_allclose(F.contrastive_loss(a, b, y, margin=2.0, reduction="none").data, ref,
                               rtol=1e-10)
    np.testing.assert_allclose(nn.ContrastiveLoss(2.0)(a, b, y).data, ref.mean(), rtol=1e-10)
    at, bt = leaf(a), leaf(b)
    check_grad(lambda: F.contrastive_loss(at, bt, y, margin=2.0, reduction="none"), [at, bt])
    same = leaf(a)   # identical pairs: finite gradient
    F.contrastive_loss(same, a, np.ones(5)).backward()
    assert np.isfinite(same.grad).all()


@pytest.mark.parametrize("p,swap", [(2.0, False), (1.5, True)])
def test_triplet_margin_loss_matches_numpy(p, swap):
    a, pos, neg = (rng.standard_normal((4, 3)) for _ in range(3))

    def dist(u, v):
        return (np.abs(u - v + 1e-6) ** p).sum(1) ** (1 / p)

    dn = np.minimum(dist(a, neg), dist(pos, neg)) if swap else dist(a, neg)
    ref = np.maximum(0, dist(a, pos) - dn + 0.5)
    got = F.triplet_margin_loss(a, pos, neg, margin=0.5, p=p, swap=swap, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=1e-10)
    np.testing.assert_allclose(nn.TripletMarginLoss(0.5, p, swap=swap)(a, pos, neg).data, ref.mean(),
                               rtol=1e-10)
    ts = [leaf(v) for v in (a, pos, neg)]
    check_grad(lambda: F.triplet_margin_loss(*ts, margin=3.0, p=p, swap=swap, reduction="none"), ts)


# ---- extremes -----------------------------------------------------------------
def _extreme_cases():
    z = np.array([[1e4, -1e4, 0.5], [-1e4, 1e4, -3.0]], np.float32)
    y01 = np.array([[0, 1, 1], [0, 1, 0]], np.float32)
    pm1 = 2 * y01 - 1
    labels = np.array([1, 0])
    probs = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], np.float32)
    return z, [
        ("mse", lambda x: F.mse_loss(x, y01)),
        ("l1", lambda x: F.l1_loss(x, y01)),
        ("huber", lambda x: F.huber_loss(x, y01)),
        ("smooth_l1", lambda x: F.smooth_l1_loss(x, y01)),
        ("log_cosh", lambda x: F.log_cosh_loss(x, y01)),
        ("quantile", lambda x: F.quantile_loss(x, y01, 0.9)),
        ("bce", lambda x: F.binary_cross_entropy(F.sigmoid(x), y01)),
        ("bce_logits", lambda x: F.binary_cross_entropy_with_logits(x, y01, pos_weight=np.float32(3))),
        ("ce", lambda x: F.cross_entropy(x, labels)),
        ("ce_smooth_weight", lambda x: F.cross_entropy(x, labels, weight=np.ones(3), label_smoothing=0.1)),
        ("ce_probs", lambda x: F.cross_entropy(x, probs)),
        ("nll", lambda x: F.nll_loss(F.log_softmax(x, 1), labels)),
        ("hinge", lambda x: F.hinge_loss(x, pm1)),
        ("squared_hinge", lambda x: F.squared_hinge_loss(x, pm1)),
        ("kl_div", lambda x: F.kl_div(F.log_softmax(x, 1), probs, "batchmean")),
        ("focal", lambda x: F.focal_loss(x, y01)),
        ("focal_gamma_half", lambda x: F.focal_loss(x, y01, gamma=0.5)),
        ("contrastive", lambda x: F.contrastive_loss(x, x[::-1], np.array([1.0, 0.0]))),
        ("triplet", lambda x: F.triplet_margin_loss(x, x[::-1], x * 0.5)),
        ("dice", lambda x: F.dice_loss(F.sigmoid(x), y01)),
    ]


@pytest.mark.parametrize("name", [n for n, _ in _extreme_cases()[1]])
def test_losses_are_finite_for_logits_of_1e4(name):
    z, cases = _extreme_cases()
    loss_fn = dict(cases)[name]
    x = al.Tensor(z, requires_grad=True)
    loss = loss_fn(x)
    loss.backward()
    assert loss.dtype == np.float32
    assert np.isfinite(loss.data).all(), f"{name}: loss {loss.data}"
    assert np.isfinite(x.grad).all(), f"{name}: gradient {x.grad}"


def test_float64_targets_do_not_promote_float32_losses():
    x = al.Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    for fn in (F.mse_loss, F.l1_loss, F.binary_cross_entropy_with_logits):
        assert fn(x, rng.standard_normal((3, 2))).dtype == np.float32


# ---- errors -----------------------------------------------------------------
def test_loss_errors_are_clear():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3,\) and target shape \(3, 1\) differ"):
        F.mse_loss(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="l1_loss: reduction must be one of 'mean', 'sum', 'none'; got 'avg'"):
        F.l1_loss(np.zeros(3), np.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"cross_entropy: class-index targets must lie in \[0, 3\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 5]), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"cross_entropy: class-index target must have shape \(2,\) for "
                                         r"input of shape \(2, 3\), got \(3,\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="cross_entropy: target must be class indices"):
        F.cross_entropy(np.zeros((2, 3)), np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"cross_entropy: weight must have shape \(3,\)"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), weight=np.ones(2))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must be probabilities in \[0, 1\]"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))
    with pytest.raises(ValueError, match="hinge_loss: targets must be -1 or \\+1"):
        F.hinge_loss(np.zeros(2), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of 'mean', 'batchmean'"):
        F.kl_div(np.zeros(2), np.zeros(2), "avg")
    with pytest.raises(ValueError, match="triplet_margin_loss: inputs must share one shape"):
        F.triplet_margin_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"contrastive_loss: target must have shape \(2,\)"):
        F.contrastive_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="quantile_loss: quantile must be in"):
        F.quantile_loss(np.zeros(2), np.zeros(2), quantile=1.0)
    with pytest.raises(TypeError, match="mse_loss: input must be floating point"):
        F.mse_loss(al.Tensor(np.zeros(2, np.int64), dtype=np.int64), np.zeros(2))
