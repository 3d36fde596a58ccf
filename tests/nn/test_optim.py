"""Optimisers: trajectories against independent NumPy references, dtype, groups, state, errors."""

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from nn import optim

STEPS = 100


# ---- the objective: a Rosenbrock-like valley (group 0) and a scaled quadratic (group 1)
A = np.array([[0.5, 1.0, 4.0], [2.0, 0.7, 1.5]])
C = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])


def grad_rosen(th):
    x, y = th
    return np.array([-2 * (1 - x) - 20 * x * (y - x * x), 10 * (y - x * x)])


def grad_quad(th):
    return A * (th - C)


START = [np.array([-1.2, 1.0]), np.array([[0.3, 0.1, -0.4], [1.0, 0.2, 0.0]])]
GRADS = [grad_rosen, grad_quad]


# ---- references: one parameter, float64, written from the published pseudo-code
def ref_sgd(th, grad, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    b = None
    for _ in range(STEPS):
        g = grad(th) + weight_decay * th
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        th = th - lr * g
        yield th


def ref_adagrad(th, grad, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    acc = np.full_like(th, initial_accumulator_value)
    for t in range(1, STEPS + 1):
        g = grad(th) + weight_decay * th
        lr_t = lr / (1 + (t - 1) * lr_decay)
        acc = acc + g * g
        th = th - lr_t * g / (np.sqrt(acc) + eps)
        yield th


def ref_rmsprop(th, grad, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v, b, g_ave = np.zeros_like(th), np.zeros_like(th), np.zeros_like(th)
    for _ in range(STEPS):
        g = grad(th) + weight_decay * th
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            g_ave = alpha * g_ave + (1 - alpha) * g
            v_tilde = v - g_ave ** 2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            th = th - lr * b
        else:
            th = th - lr * g / (np.sqrt(v_tilde) + eps)
        yield th


def ref_adam(th, grad, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas
    m, v, v_max = np.zeros_like(th), np.zeros_like(th), np.zeros_like(th)
    for t in range(1, STEPS + 1):
        g = grad(th)
        if decoupled:
            th = th - lr * weight_decay * th
        else:
            g = g + weight_decay * th
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        th = th - lr * m_hat / (np.sqrt(v_hat) + eps)
        yield th


def ref_adamw(th, grad, lr, weight_decay=1e-2, **kw):
    return ref_adam(th, grad, lr, weight_decay=weight_decay, decoupled=True, **kw)


def ref_nadam(th, grad, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled_weight_decay=False):
    b1, b2 = betas
    m, v = np.zeros_like(th), np.zeros_like(th)
    mus = [None]                                   # mus[t] = mu_t
    for t in range(1, STEPS + 1):
        g = grad(th)
        if decoupled_weight_decay:
            th = th * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * th
        while len(mus) <= t + 1:
            k = len(mus)
            mus.append(b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        prod_t = math.prod(mus[1:t + 1])
        prod_t1 = math.prod(mus[1:t + 2])
        m_hat = mus[t + 1] * m / (1 - prod_t1) + (1 - mus[t]) * g / (1 - prod_t)
        v_hat = v / (1 - b2 ** t)
        th = th - lr * m_hat / (np.sqrt(v_hat) + eps)
        yield th


def ref_lion(th, grad, lr, betas=(0.9, 0.99), weight_decay=0.0):
    b1, b2 = betas
    m = np.zeros_like(th)
    for _ in range(STEPS):
        g = grad(th)
        update = np.sign(b1 * m + (1 - b1) * g) + weight_decay * th
        th = th - lr * update
        m = b2 * m + (1 - b2) * g
        yield th


def ref_adabelief(th, grad, lr, betas=(0.9, 0.999), eps=1e-16, weight_decay=0.0,
                  decoupled_weight_decay=True):
    b1, b2 = betas
    m, s = np.zeros_like(th), np.zeros_like(th)
    for t in range(1, STEPS + 1):
        g = grad(th)
        if decoupled_weight_decay:
            th = th * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * th
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m) ** 2 + eps
        m_hat, s_hat = m / (1 - b1 ** t), s / (1 - b2 ** t)
        th = th - lr * m_hat / (np.sqrt(s_hat) + eps)
        yield th


# (optimiser, reference, hyper-parameters of group 0, of group 1)
CONFIGS = [
    (optim.SGD, ref_sgd, dict(lr=0.01), dict(lr=0.02, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (optim.SGD, ref_sgd, dict(lr=0.005, momentum=0.8, nesterov=True, weight_decay=0.1), dict(lr=0.01)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                      initial_accumulator_value=0.1), dict(lr=0.05)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5,
                                      weight_decay=0.01), dict(lr=0.005)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.002, momentum=0.9), dict(lr=0.001, centered=True)),
    (optim.Adam, ref_adam, dict(lr=0.05), dict(lr=0.02, weight_decay=0.01, amsgrad=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.05, weight_decay=0.1), dict(lr=0.02, amsgrad=True, betas=(0.8, 0.99))),
    (optim.NAdam, ref_nadam, dict(lr=0.05), dict(lr=0.02, weight_decay=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.03, weight_decay=0.1, decoupled_weight_decay=True,
                                  momentum_decay=0.01), dict(lr=0.01, betas=(0.8, 0.9))),
    (optim.Lion, ref_lion, dict(lr=0.01, weight_decay=0.1), dict(lr=0.003, betas=(0.95, 0.98))),
    (optim.AdaBelief, ref_adabelief, dict(lr=0.05), dict(lr=0.02, weight_decay=0.01,
                                                         decoupled_weight_decay=False)),
    (optim.AdaBelief, ref_adabelief, dict(lr=0.02, weight_decay=0.1, eps=1e-12), dict(lr=0.01)),
]


@pytest.mark.parametrize("cls,ref,hp0,hp1", CONFIGS,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CONFIGS)])
def test_trajectory_matches_the_published_algorithm(cls, ref, hp0, hp1):
    params = [nn.Parameter(s.copy()) for s in START]
    opt = cls([{"params": [params[0]], **hp0}, {"params": [params[1]], **hp1}])
    expected = [list(ref(s.copy(), g, **hp)) for s, g, hp in zip(START, GRADS, (hp0, hp1))]
    moved = False
    for t in range(STEPS):
        for p, g in zip(params, GRADS):
            p.grad = g(p.data.copy())
        opt.step()
        for k, p in enumerate(params):
            np.testing.assert_allclose(p.data, expected[k][t], rtol=1e-6, atol=1e-6,
                                       err_msg=f"{cls.__name__} group {k} step {t + 1}")
            moved |= not np.allclose(p.data, START[k])
    assert moved


ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW, optim.NAdam, optim.Lion,
       optim.AdaBelief, optim.Adamax, optim.RAdam, optim.Adafactor, optim.LAMB, optim.LARS]
RICH = {optim.SGD: dict(momentum=0.9, nesterov=True, weight_decay=0.1),
        optim.RMSprop: dict(centered=True, momentum=0.5, weight_decay=0.1),
        optim.Adam: dict(amsgrad=True, weight_decay=0.1), optim.AdamW: dict(amsgrad=True),
        optim.NAdam: dict(weight_decay=0.1), optim.Lion: dict(weight_decay=0.1),
        optim.AdaBelief: dict(weight_decay=0.1), optim.Adagrad: dict(weight_decay=0.1, lr_decay=0.1),
        optim.Adamax: dict(weight_decay=0.1), optim.RAdam: dict(weight_decay=0.1),
        optim.Adafactor: dict(weight_decay=0.1), optim.LAMB: dict(weight_decay=0.1),
        optim.LARS: dict(weight_decay=0.1)}


@pytest.mark.parametrize("cls", ALL)
def test_float32_parameters_stay_float32_and_are_updated_in_place(cls):
    p = nn.Parameter(np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32))
    data = p.data
    # NumPy float64 scalars as hyper-parameters must not promote the update either
    opt = cls([p], lr=np.float64(0.01), **RICH[cls])
    for _ in range(3):
        p.grad = np.ones((3, 2), np.float32)
        opt.step()
    assert p.data is data and p.dtype == np.float32
    arrays = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 and a.shape == opt._state_shape(k, p)
                          for k, a in opt.state[p].items() if isinstance(a, np.ndarray))
    assert not np.allclose(p.data, np.random.default_rng(0).standard_normal((3, 2)))


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_sgd_updates_a_group_of_mixed_dtypes_each_in_its_own(momentum):
    # Plain SGD updates a whole group in one loop, with lr cast once per dtype.
    a = nn.Parameter(np.full(3, 1.0, np.float32))
    b = nn.Parameter(np.full(2, 1.0, np.float64))
    c = nn.Parameter(np.full(4, 1.0, np.float32))
    opt = optim.SGD([a, b, c], lr=0.1 + 1e-12, momentum=momentum)
    a.grad = np.full(3, 2.0)                     # float64 gradient: cast to the parameter's dtype
    b.grad = np.full(2, 3.0)
    c.grad = np.full(4, 4.0, np.float32)
    opt.step()
    assert (a.dtype, b.dtype, c.dtype) == (np.float32, np.float64, np.float32)
    np.testing.assert_array_equal(a.data, np.float32(1) - np.float32(0.1) * np.float32(2))
    np.testing.assert_array_equal(b.data, 1.0 - (0.1 + 1e-12) * 3.0)  # float64 keeps the 1e-12
    np.testing.assert_array_equal(c.data, np.float32(1) - np.float32(0.1) * np.float32(4))


@pytest.mark.parametrize("cls", ALL)
def test_state_arrays_follow_a_column_major_parameters_order(cls):
    p = nn.Parameter(nn.module.aligned_array((3, 4), np.float64, 1.0, order="F"))
    opt = cls([p], lr=0.01, **RICH[cls])
    p.grad = np.asfortranarray(np.full((3, 4), 0.5))
    opt.step()
    saved = opt.state_dict()
    fresh = cls([p], lr=0.01, **RICH[cls])
    fresh.load_state_dict(saved)
    for o in (opt, fresh):
        # (Adafactor's factored state, of shapes (3, 1) and (1, 4), is both.)
        arrays = [v for v in o.state[p].values() if isinstance(v, np.ndarray) and v.shape == p.shape]
        assert all(a.flags.f_contiguous and not a.flags.c_contiguous for a in arrays)
        assert arrays or cls is optim.Adafactor
    assert p.data.flags.f_contiguous


@pytest.mark.parametrize("cls", ALL)
def test_step_bumps_the_version_and_leaves_grads_alone(cls):
    p = nn.Parameter(np.ones(3))
    y = (p * p).sum()                            # saves p for backward
    g = np.array([0.5, -1.0, 2.0])
    p.grad = g.copy()
    cls([p], lr=0.1, **RICH[cls]).step()
    np.testing.assert_array_equal(p.grad, g)     # weight decay never writes into .grad
    with pytest.raises(al.InplaceModificationError):
        y.backward()


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam])
def test_step_writes_through_the_lock_of_a_graph_kept_by_retain_graph(cls):
    # A graph kept alive holds its parameters' arrays read-only against plain NumPy;
    # the optimiser may still update them (as in PyTorch), and the kept graph refuses
    # to backpropagate again, naming the line of the step.
    p = nn.Parameter(np.ones(3))
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    assert not p.data.flags.writeable
    opt = cls([p], lr=0.1)
    opt.step()
    assert (p.data < 1).all() and not p.data.flags.writeable
    with pytest.raises(al.InplaceModificationError, match=r"(?s)'multiply'.*modified at:.*opt\.step\(\)"):
        loss.backward()
    del loss
    assert p.data.flags.writeable


def test_parameters_without_grad_are_skipped_and_zero_grad_resets():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    assert not np.allclose(a.data, 1) and np.allclose(b.data, 1) and b not in opt.state
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and not a.grad.any() and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_and_create_graph_grads():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with al.no_grad():   # the closure still records: step enables grad for it
        loss = opt.step(closure)
    assert loss.item() == 4.0 and p.data[0] == pytest.approx(2.0 - 0.25 * 4.0)
    p.grad = None
    (p * p).sum().backward(create_graph=True)    # p.grad is a Tensor
    opt.step()
    assert p.data[0] == pytest.approx(1.0 - 0.25 * 2.0)


def test_parameter_groups_and_add_param_group():
    a, b, c = (nn.Parameter(np.ones(1)) for _ in range(3))
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    opt.add_param_group({"params": [c], "momentum": 0.0})
    for p in (a, b, c):
        p.grad = np.ones(1)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0], c.data[0]], [0.9, 0.5, 0.9])
    opt.param_groups[0]["lr"] = 0.0              # changed hyper-parameters are read each step
    a.grad = np.ones(1)
    opt.step()
    assert a.data[0] == pytest.approx(0.9)
    assert "Parameter Group 2" in repr(opt)


def test_a_subclass_that_only_implements_update_gets_the_group():
    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def _update(self, p, g, state, group):       # no _hyper: hp is the group dict
            p.sub_(group["lr"] * np.sign(g))

    p = nn.Parameter(np.array([1.0, -1.0]))
    opt = SignSGD([p], lr=0.25)
    p.grad = np.array([3.0, -0.5])
    opt.step()
    np.testing.assert_allclose(p.data, [0.75, -0.75])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.Lion])
def test_a_read_only_parameter_gets_a_clear_error_not_numpys(cls):
    frozen = np.ones(3, np.float32)
    frozen.flags.writeable = False
    p = nn.Parameter(frozen)
    opt = cls([p], lr=0.1)
    p.grad = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=rf"{cls.__name__}.step: a parameter of shape \(3,\) and "
                                         r"dtype float32 holds a read-only array"):
        opt.step()
    p.data = p.data.copy()
    opt.step()
    assert (p.data < 1).all()


def test_a_step_that_fails_part_way_still_marks_what_it_changed():
    a = nn.Parameter(np.ones(2, np.float32))
    frozen = np.ones(2, np.float32)
    frozen.flags.writeable = False
    b = nn.Parameter(frozen)
    loss = (a * a).sum()  # saves a before the step
    opt = optim.SGD([a, b], lr=0.1)
    a.grad, b.grad = np.ones(2, np.float32), np.ones(2, np.float32)
    with pytest.raises(ValueError, match="read-only"):
        opt.step()
    assert a.data.tolist() == pytest.approx([0.9, 0.9])  # a was updated before b failed...
    with pytest.raises(al.InplaceModificationError):
        loss.backward()  # ...so the graph that saved it must refuse


def test_optimizer_errors_are_clear():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="appears more than once"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="can only optimise leaf Tensors; parameter 0 .* by op 'multiply'"):
        optim.Adam([p * 2])
    with pytest.raises(TypeError, match="can only optimise Tensors, but parameter 1 of group 0 is a ndarray"):
        optim.Adam([p, np.ones(2)])
    with pytest.raises(TypeError, match="a set has no stable order"):
        optim.Adam({p})
    with pytest.raises(ValueError, match="Adam: invalid lr -1; expected >= 0"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match=r"AdamW: invalid betas \(0.9, 1.0\)"):
        optim.AdamW([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="SGD: Nesterov momentum needs momentum > 0 and dampening = 0"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="RMSprop: invalid alpha 1.5"):
        optim.RMSprop([p], alpha=1.5)
    with pytest.raises(ValueError, match="Lion: invalid weight_decay -0.1"):
        optim.Lion([p], weight_decay=-0.1)
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"SGD.step: a parameter of shape \(2,\) has a gradient of shape \(3,\)"):
        optim.SGD([p], lr=0.1).step()


def _run(opt, params, steps):
    for _ in range(steps):
        for p, g in zip(params, GRADS):
            p.grad = g(p.data.copy())
        opt.step()


@pytest.mark.parametrize("cls", ALL)
def test_state_dict_resume_gives_the_same_trajectory(cls):
    hp = dict(lr=0.01, **RICH[cls])
    straight = [nn.Parameter(s.copy()) for s in START]
    opt = cls([{"params": [straight[0]]}, {"params": [straight[1]], "lr": 0.02}], **hp)
    _run(opt, straight, 5)
    saved = opt.state_dict()
    snapshot = [p.data.copy() for p in straight]
    _run(opt, straight, 5)
    # a fresh optimiser on fresh parameters, resumed from the snapshot
    resumed = [nn.Parameter(s) for s in snapshot]
    opt2 = cls([{"params": [resumed[0]]}, {"params": [resumed[1]], "lr": 0.5}], **hp)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.02      # hyper-parameters come from the state
    _run(opt2, resumed, 5)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.data, b.data)
    assert saved["param_groups"][1]["params"] == [1]
    # the state dict holds copies: later steps did not change it
    first = next(v for v in saved["state"][0].values() if isinstance(v, np.ndarray))
    assert not np.shares_memory(first, next(v for v in opt.state[straight[0]].values()
                                            if isinstance(v, np.ndarray)))


def test_load_state_dict_lists_every_mismatch_and_changes_nothing():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones((2, 2)))
    src = optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones((2, 2))
    src.step()
    sd = src.state_dict()
    c, d = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))     # d has a different shape
    dst = optim.Adam([c, d], lr=0.3)
    sd["state"][0]["momentum_buffer"] = np.zeros(2)                # not Adam state
    sd["param_groups"][0]["foo"] = 1                               # unknown hyper-parameter
    with pytest.raises(ValueError) as e:
        dst.load_state_dict(sd)
    msg = str(e.value)
    for piece in ["Adam.load_state_dict", "unexpected hyper-parameters ['foo']",
                  "parameter 0: unexpected state ['momentum_buffer']",
                  "parameter 1 state 'exp_avg': expected shape (3,) dtype float64, got shape (2, 2)"]:
        assert piece in msg
    assert dst.state == {} and dst.param_groups[0]["lr"] == 0.3
    with pytest.raises(ValueError, match="the state has 2 parameter groups, this optimiser has 1"):
        dst.load_state_dict({"state": {}, "param_groups": [{"params": []}, {"params": []}]})
    with pytest.raises(ValueError, match="group 0: 1 parameters saved, 2 here"):
        dst.load_state_dict({"state": {}, "param_groups": [dict(dst.state_dict()["param_groups"][0], params=[0])]})
    with pytest.raises(ValueError, match="expected a dict with keys 'param_groups' and 'state'"):
        dst.load_state_dict({"state": {}})
