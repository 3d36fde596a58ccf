"""Adamax, RAdam, Adafactor (against torch.optim, step for step), LAMB and LARS (against
NumPy transcriptions of their papers' pseudo-code), SGD's averaged momentum."""

import math

import numpy as np
import pytest

import nn
from nn import optim

# Parameters of several ranks: a matrix, a vector, a scalar, a 3-d tensor (Adafactor
# factors the last two axes), one that starts at zero (LAMB/LARS's ratio fallback).
SHAPES = [(3, 4), (5,), (), (2, 3, 4)]


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _grads(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def _compare_with_torch(ours, theirs, kw, steps=15):
    torch = pytest.importorskip("torch")
    start = _start()
    ps = [nn.Parameter(a.copy()) for a in start]
    tps = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt, topt = ours(ps, **kw), theirs(tps, **kw)
    for t, grads in enumerate(_grads(steps)):
        for p, tp, g in zip(ps, tps, grads):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for k, (p, tp) in enumerate(zip(ps, tps)):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"{ours.__name__} {kw} parameter {k} step {t + 1}")
    assert all(not np.allclose(p.data, s) for p, s in zip(ps, start))
    return opt, topt


TORCH_CONFIGS = [
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adafactor", dict()),
    ("Adafactor", dict(lr=0.05, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.5, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.8, weight_decay=0.1)),
]


@pytest.mark.parametrize("name,kw", TORCH_CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CONFIGS)])
def test_matches_torch_step_for_step(name, kw):
    torch = pytest.importorskip("torch")
    _compare_with_torch(getattr(optim, name), getattr(torch.optim, name), kw)


def test_the_torch_comparisons_reach_every_branch():
    # RAdam: momentum-only steps while rho_t <= 5 (t <= 5 for b2 = 0.999), then rectified.
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho = [rho_inf - 2 * t * b2 ** t / (1 - b2 ** t) for t in range(1, 16)]
    assert rho[4] <= 5 < rho[5]
    # Adafactor: the first step's U = g / |g| has RMS 1 for the vector, and the matrices'
    # factored estimate makes some RMS(U) exceed d = 1, so update clipping is exercised.
    g = _grads(1)[0][3]
    gg = g * g
    row, col = gg.mean(-1, keepdims=True), gg.mean(-2, keepdims=True)
    u = g / np.sqrt(row * col / row.mean(-2, keepdims=True))
    assert np.sqrt(np.mean(u * u)) > 1.0


def test_adafactor_keeps_factored_state_of_torchs_layout():
    torch = pytest.importorskip("torch")
    opt, topt = _compare_with_torch(optim.Adafactor, torch.optim.Adafactor, dict(lr=0.05), steps=3)
    ours, theirs = opt.state_dict()["state"], topt.state_dict()["state"]
    for i in range(len(SHAPES)):
        assert set(ours[i]) == set(theirs[i])
        for k, v in ours[i].items():
            if k == "step":
                assert v == int(theirs[i][k].item()) == 3
            else:
                np.testing.assert_allclose(v, theirs[i][k].numpy(), rtol=1e-12)
    assert ours[0]["row_var"].shape == (3, 1) and ours[0]["col_var"].shape == (1, 4)
    assert ours[3]["row_var"].shape == (2, 3, 1) and ours[3]["col_var"].shape == (2, 1, 4)
    assert set(ours[1]) == {"step", "variance"}


def test_adafactor_state_dict_round_trip_and_shape_errors():
    a, b = nn.Parameter(np.ones((3, 4))), nn.Parameter(np.ones(5))
    opt = optim.Adafactor([a, b])
    a.grad, b.grad = np.full((3, 4), 0.5), np.full(5, 0.5)
    opt.step()
    sd = opt.state_dict()
    fresh = optim.Adafactor([nn.Parameter(np.ones((3, 4))), nn.Parameter(np.ones(5))])
    fresh.load_state_dict(sd)
    np.testing.assert_array_equal(list(fresh.state.values())[0]["row_var"], sd["state"][0]["row_var"])
    sd["state"][0]["col_var"] = np.zeros((3, 1))
    sd["state"][1]["row_var"] = np.zeros((5, 1))
    with pytest.raises(ValueError) as e:
        fresh.load_state_dict(sd)
    msg = str(e.value)
    assert "parameter 0 state 'col_var': expected shape (1, 4) dtype float64, got shape (3, 1)" in msg
    assert "parameter 1: state 'row_var' does not apply to a parameter of shape (5,)" in msg


def test_adafactor_leaves_an_empty_parameter_alone():
    p, q = nn.Parameter(np.zeros((0, 3))), nn.Parameter(np.ones(2))
    opt = optim.Adafactor([p, q])
    p.grad, q.grad = np.zeros((0, 3)), np.ones(2)
    opt.step()
    assert p.shape == (0, 3) and (q.data < 1).all()


# ---- LAMB and LARS: NumPy transcriptions of the papers' algorithms, one tensor at a time
def ref_lamb(x, grads, lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
    """You et al. 2020, Algorithm 2 (phi = identity); ratio 1 where a norm is 0."""
    b1, b2 = betas
    m, v = np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        r = m_hat / (np.sqrt(v_hat) + eps)
        u = r + weight_decay * x
        xn, un = np.linalg.norm(x), np.linalg.norm(u)
        ratio = xn / un if xn > 0 and un > 0 else 1.0
        x = x - lr * ratio * u
        yield x


def ref_lars(w, grads, lr, momentum=0.9, weight_decay=0.0, trust_coefficient=1e-3):
    """You, Gitman & Ginsburg 2017, Algorithm 1 with eq. 6's eta; ratio 1 where undefined."""
    v = np.zeros_like(w)
    for g in grads:
        wn, gn = np.linalg.norm(w), np.linalg.norm(g)
        denom = gn + weight_decay * wn
        local = trust_coefficient * wn / denom if wn > 0 and denom > 0 else 1.0
        v = momentum * v + lr * local * (g + weight_decay * w)
        w = w - v
        yield w


LAYERWISE = [
    (optim.LAMB, ref_lamb, dict(lr=0.01)),
    (optim.LAMB, ref_lamb, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)),
    (optim.LARS, ref_lars, dict(lr=1.0)),
    (optim.LARS, ref_lars, dict(lr=5.0, momentum=0.5, weight_decay=0.01, trust_coefficient=0.02)),
]


@pytest.mark.parametrize("cls,ref,kw", LAYERWISE, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(LAYERWISE)])
def test_layerwise_optimisers_follow_their_papers(cls, ref, kw):
    steps = 20
    start = _start() + [np.zeros((2, 2))]             # a zero tensor: the ratio falls back to 1
    grads = _grads(steps)
    grads = [gs + [np.full((2, 2), 0.1 * (t + 1))] for t, gs in enumerate(grads)]
    ps = [nn.Parameter(s.copy()) for s in start]
    opt = cls(ps, **kw)
    expected = [list(ref(s.copy(), [gs[k] for gs in grads], **kw)) for k, s in enumerate(start)]
    for t in range(steps):
        for p, g in zip(ps, grads[t]):
            p.grad = g.copy()
        opt.step()
        for k, p in enumerate(ps):
            np.testing.assert_allclose(p.data, expected[k][t], rtol=1e-12, atol=1e-15,
                                       err_msg=f"{cls.__name__} {kw} tensor {k} step {t + 1}")
    assert all(not np.allclose(p.data, s) for p, s in zip(ps, start))


def test_layerwise_steps_are_relative_to_each_tensors_norm():
    # The point of LAMB: after its first step each tensor has moved by lr * ||p||,
    # whatever its gradient's scale (here 1e-3 and 1e3).
    small, large = nn.Parameter(np.full(4, 2.0)), nn.Parameter(np.full(9, -1.0))
    opt = optim.LAMB([small, large], lr=0.01)
    small.grad, large.grad = np.full(4, 1e-3), np.linspace(1e3, 2e3, 9)
    opt.step()
    assert np.linalg.norm(small.data - 2.0) == pytest.approx(0.01 * 4.0)
    assert np.linalg.norm(large.data + 1.0) == pytest.approx(0.01 * 3.0)
    # LARS without momentum: ||step|| = lr * eta * ||p|| * ||g|| / ||g|| for weight_decay 0.
    p = nn.Parameter(np.full(4, 3.0))
    opt = optim.LARS([p], lr=2.0, momentum=0.0, trust_coefficient=0.01)
    p.grad = np.array([1e4, -2e4, 0.0, 5.0])
    opt.step()
    assert np.linalg.norm(p.data - 3.0) == pytest.approx(2.0 * 0.01 * 6.0)


# ---- SGD's averaged momentum, the lessons' v = b v + (1 - b) g
def test_sgd_dampening_equal_to_momentum_is_the_averaged_momentum():
    beta, lr = 0.9, 0.1
    grads = [g[0] for g in _grads(8)]
    start = _start()[0]
    # PyTorch's rule: the first step sets v = g (no dampening), then v = b v + (1 - b) g.
    p = nn.Parameter(start.copy())
    opt = optim.SGD([p], lr=lr, momentum=beta, dampening=beta)
    # The lessons' form starts from v = 0, so v_1 = (1 - b) g: a zero buffer gives exactly that.
    q = nn.Parameter(start.copy())
    lessons = optim.SGD([q], lr=lr, momentum=beta, dampening=beta)
    lessons.state[q] = {"momentum_buffer": np.zeros_like(q.data)}
    x, y, v, w = start.copy(), start.copy(), None, np.zeros_like(start)
    for g in grads:
        v = g if v is None else beta * v + (1 - beta) * g
        w = beta * w + (1 - beta) * g
        x, y = x - lr * v, y - lr * w
        p.grad, q.grad = g.copy(), g.copy()
        opt.step()
        lessons.step()
        np.testing.assert_allclose(p.data, x, rtol=1e-13)
        np.testing.assert_allclose(q.data, y, rtol=1e-13)
    # the two buffers differ by b**t g_1, which fades
    diff = opt.state[p]["momentum_buffer"] - lessons.state[q]["momentum_buffer"]
    np.testing.assert_allclose(diff, beta ** len(grads) * grads[0], rtol=1e-10)


# ---- generic behaviour shared with the other optimisers
NEW = [optim.Adamax, optim.RAdam, optim.Adafactor, optim.LAMB, optim.LARS]


def test_bad_hyper_parameters_are_named():
    p = nn.Parameter(np.ones(2))
    cases = [
        (optim.Adamax, dict(lr=-1), "Adamax: invalid lr -1; expected >= 0"),
        (optim.Adamax, dict(betas=(1.0, 0.9)), r"Adamax: invalid betas \(1.0, 0.9\)"),
        (optim.RAdam, dict(eps=-1e-8), "RAdam: invalid eps -1e-08; expected >= 0"),
        (optim.RAdam, dict(weight_decay=-0.1), "RAdam: invalid weight_decay -0.1"),
        (optim.Adafactor, dict(beta2_decay=0.5), "Adafactor: invalid beta2_decay 0.5; expected <= 0"),
        (optim.Adafactor, dict(d=0.5), "Adafactor: invalid d 0.5; expected >= 1"),
        (optim.Adafactor, dict(eps=(None, -1.0)), r"Adafactor: invalid eps \(None, -1.0\)"),
        (optim.Adafactor, dict(eps=1e-3), "Adafactor: invalid eps 0.001; expected \\(eps1, eps2\\)"),
        (optim.Adafactor, dict(weight_decay=-1), "Adafactor: invalid weight_decay -1"),
        (optim.LAMB, dict(betas=(0.9,)), r"LAMB: invalid betas \(0.9,\)"),
        (optim.LAMB, dict(eps=-1.0), "LAMB: invalid eps -1.0"),
        (optim.LARS, dict(momentum=1.0), r"LARS: invalid momentum 1.0; expected a number in \[0, 1\)"),
        (optim.LARS, dict(trust_coefficient=0), "LARS: invalid trust_coefficient 0; expected > 0"),
    ]
    for cls, kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            cls([p], **kw)
    with pytest.raises(TypeError, match="LARS: invalid lr 'fast'; expected a number"):  # a str: its type is wrong
        optim.LARS([p], lr="fast")
    with pytest.raises(ValueError, match=r"SGD: invalid dampening 1.5; expected a number in \[0, 1\]"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=1.5)


@pytest.mark.parametrize("cls", NEW)
def test_new_optimisers_are_exported(cls):
    assert cls.__name__ in optim.__all__ and getattr(nn.optim, cls.__name__) is cls
    assert cls.__doc__ and "::" in cls.__doc__   # the update rule is written out


def test_float32_adafactor_uses_float32_machine_epsilon():
    # eps1 = None means finfo(dtype).eps; a zero gradient then divides by it, not by 0.
    p = nn.Parameter(np.ones(3, np.float32))
    opt = optim.Adafactor([p])
    p.grad = np.array([0.0, 1e-3, 1.0], np.float32)
    opt.step()
    assert p.dtype == np.float32 and np.isfinite(p.data).all() and p.data[0] == 1.0
    assert math.isclose(opt.state[p]["variance"][1], 1e-6, rel_tol=1e-5)
