"""Module system: discovery, order, tied weights, modes, scope, containers, state dicts."""

from collections import OrderedDict

import numpy as np
import pytest

import autograd_lite as al
import nn


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.Linear(3, 2)
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.a = nn.Linear(2, 1)

    def forward(self, x):
        return self.a(self.b(x)) * self.scale


def test_parameters_follow_attribute_insertion_order():
    # As in PyTorch: a module's own parameters, then each submodule's, in attribute order.
    names = [n for n, _ in Pair().named_parameters()]
    assert names == ["scale", "b.weight", "b.bias", "a.weight", "a.bias"]


def test_reassigning_an_attribute_keeps_its_position():
    m = Pair()
    m.b = nn.Linear(3, 2, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["scale", "b.weight", "a.weight", "a.bias"]


def test_lists_and_dicts_of_modules_are_discovered():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 2)]
            self.heads = {"x": nn.Linear(2, 1)}
            self.mlist = nn.ModuleList([nn.Linear(2, 3)])
            self.mdict = nn.ModuleDict({"out": nn.Linear(3, 1)})

    names = [n for n, _ in Net().named_parameters()]
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias",
                     "heads.x.weight", "heads.x.bias", "mlist.0.weight", "mlist.0.bias",
                     "mdict.out.weight", "mdict.out.bias"]
    assert [n for n, _ in Net().named_children()] == ["blocks.0", "blocks.1", "blocks.2", "heads.x",
                                                      "mlist", "mdict"]


def test_tied_weights_and_shared_modules_are_counted_once():
    shared = nn.Linear(4, 4)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(4, 4)
            self.dec = nn.Linear(4, 4)
            self.dec.weight = self.enc.weight      # tied weight
            self.first = shared
            self.second = shared                   # same module twice

    m = Tied()
    params = list(m.parameters())
    assert len(params) == 5                      # enc.w, enc.b, dec.b, shared.w, shared.b
    assert len({id(p) for p in params}) == 5
    names = [n for n, _ in m.named_parameters()]
    assert "dec.weight" not in names and "enc.weight" in names and "second.weight" not in names
    assert [n for n, _ in m.named_modules()] == ["", "enc", "dec", "first"]
    assert list(m.state_dict()) == names
    with_dups = [n for n, _ in m.named_parameters(remove_duplicate=False)]
    assert "dec.weight" in with_dups


def test_very_deep_nesting_needs_no_recursion():
    depth = 3000  # far beyond Python's default recursion limit of 1000
    root = cur = nn.Module()
    for _ in range(depth):
        nxt = nn.Module()
        nxt.w = nn.Parameter(np.zeros(1, np.float32))
        cur.child = nxt
        cur = nxt
    assert len(list(root.parameters())) == depth
    assert len(list(root.modules())) == depth + 1
    assert len(root.state_dict()) == depth
    root.eval()
    assert not cur.training
    assert repr(root).count("Module(") == depth + 1


def test_train_eval_propagate_and_return_self():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.BatchNorm1d(2)))
    assert m.eval() is m
    assert all(not s.training for s in m.modules())
    assert m.train() is m
    assert all(s.training for s in m.modules())
    with pytest.raises(TypeError, match="mode must be a bool"):
        m.train("no")


def test_zero_grad_sets_none_or_zeros():
    m = Pair()
    m(np.ones((2, 3), np.float32)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_call_runs_forward_inside_the_module_scope():
    inner = nn.Linear(3, 2)
    outer = nn.Sequential(inner, nn.Tanh())
    y = outer(al.Tensor(np.ones((1, 3), np.float32)))
    assert y.node.scope == (outer, outer[1])        # tanh: recorded inside Tanh inside outer
    below = al.toposort([y.node])[1:]         # whatever ops the Linear recorded
    assert below and all(n.scope == (outer, inner) for n in below)
    # outside any call, nothing is tagged
    assert (al.Tensor(np.ones(2), requires_grad=True) * 2).node.scope == ()


def test_repr_is_a_tree_with_each_modules_configuration():
    m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Dropout(0.25)))
    assert repr(m) == ("Sequential(\n"
                       "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
                       "  (1): ReLU()\n"
                       "  (2): Sequential(\n"
                       "    (0): Dropout(p=0.25)\n"
                       "  )\n"
                       ")")
    assert "Parameter containing" in repr(m[0].weight)


def test_sequential_indexing_slicing_iteration_and_errors():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and list(s) == layers
    assert s[0] is layers[0] and s[-1] is layers[2]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]   # names are kept
    tail.append(nn.Tanh())
    assert [n for n, _ in tail.named_children()] == ["1", "2", "3"]
    x = al.Tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_allclose(s(x).data, layers[2](layers[1](layers[0](x))).data)
    with pytest.raises(IndexError, match="index 5 is out of range for 3 modules"):
        s[5]
    with pytest.raises(TypeError, match="'1' is a int"):
        nn.Sequential(nn.ReLU(), 3)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]


def test_module_list_and_dict_behave_like_containers():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU()).extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Tanh"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    with pytest.raises(TypeError, match="every entry must be a Module"):
        ml.append(np.zeros(2))
    md = nn.ModuleDict([("a", nn.ReLU())])
    md["b"] = nn.Linear(2, 2)
    assert list(md) == ["a", "b"] and "b" in md and len(md) == 2
    assert [k for k, _ in md.items()] == ["a", "b"]
    with pytest.raises(KeyError, match="no module named 'c'"):
        md["c"]
    del md["a"]
    assert list(md.keys()) == ["b"]


def test_parameter_is_a_float_leaf_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert nn.Parameter(np.array([1, 2])).dtype == al.get_default_dtype()   # ints become float
    t = al.Tensor(np.ones(3))
    assert nn.Parameter(t).data is t.data                                   # shares, no copy


def test_state_dict_holds_copies_of_parameters_and_buffers():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = m.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked"]
    before = sd["0.weight"].copy()
    with al.no_grad():
        m[0].weight.add_(1.0)
    np.testing.assert_array_equal(sd["0.weight"], before)   # a snapshot, not a view


def test_load_state_dict_round_trip_in_place():
    nn.manual_seed(1)
    a, b = Pair(), Pair()
    w = b.b.weight
    b.load_state_dict(a.state_dict())
    assert b.b.weight is w                                   # same Parameter object
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_load_state_dict_reports_every_problem_at_once_and_changes_nothing():
    m = Pair()
    before = {k: v.copy() for k, v in m.state_dict().items()}
    bad = m.state_dict()
    bad["b.weight"] = np.zeros((5, 5), np.float32)           # wrong shape
    bad["scale"] = np.ones(1, np.float64)                    # wrong dtype
    del bad["a.bias"]                                        # missing
    bad["extra.weight"] = np.zeros(1, np.float32)            # unexpected
    bad["a.weight"] = np.full((1, 2), 7.0, np.float32)       # fine, but must not be applied
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad)
    msg = str(e.value)
    for piece in ["Pair.load_state_dict", "b.weight: expected shape (2, 3) dtype float32, got shape (5, 5)",
                  "scale: expected shape (1,) dtype float32, got shape (1,) dtype float64",
                  "missing keys: a.bias", "unexpected keys: extra.weight"]:
        assert piece in msg
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_non_strict_returns_keys_but_still_checks_shapes():
    m = Pair()
    sd = m.state_dict()
    del sd["a.bias"]
    sd["other"] = np.zeros(2)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["a.bias"] and res.unexpected_keys == ["other"]
    sd["scale"] = np.ones(3, np.float32)
    with pytest.raises(RuntimeError, match="scale: expected shape"):
        m.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="expected a mapping"):
        m.load_state_dict([1, 2])


def test_to_dtype_keeps_parameter_objects_and_casts_buffers():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    params = list(m.parameters())
    m.double()
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m[1].running_mean.dtype == np.float64
    assert m[1].num_batches_tracked.dtype == np.int64        # integer buffers stay integer
    with pytest.raises(TypeError, match="expected a floating dtype"):
        m.to(np.int32)


def test_requires_grad_freezes_parameters():
    m = nn.Linear(2, 1)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


def test_registration_helpers_check_types():
    m = nn.Module()
    with pytest.raises(TypeError, match="must be a Parameter"):
        m.register_parameter("w", al.Tensor([1.0]))
    with pytest.raises(TypeError, match="must be a Module"):
        m.add_module("x", 3)
    with pytest.raises(TypeError, match="is a Parameter"):
        m.register_buffer("b", nn.Parameter([1.0]))
    m.register_buffer("scratch", np.zeros(2), persistent=False)
    assert list(m.state_dict()) == [] and [n for n, _ in m.named_buffers()] == ["scratch"]


def test_forward_must_be_implemented():
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        nn.Module()(1)


# ---- issue #16 item 10: PyTorch container and traversal habits --------------------------

def _tree(lib):
    """The same small model in nn or torch.nn: Sequential(Linear, Sequential(Tanh, Linear))."""
    if lib == "torch":
        import torch.nn as tnn
        return tnn.Sequential(tnn.Linear(2, 3), tnn.Sequential(tnn.Tanh(), tnn.Linear(3, 1)))
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 1)))


def test_apply_visits_children_first_and_returns_self():
    model = _tree("nn")

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    assert model.apply(init_weights) is model
    for p in model.parameters():
        assert np.all(p.data == (0.5 if p.ndim == 2 else 0.0))
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Linear", "Sequential", "Sequential"]
    with pytest.raises(TypeError, match="Sequential.apply: fn must be callable, got a int"):
        model.apply(3)


def test_apply_visits_modules_in_torch_order():
    torch = pytest.importorskip("torch")  # noqa: F841
    orders = []
    for lib in ("nn", "torch"):
        seen = []
        _tree(lib).apply(lambda m: seen.append(type(m).__name__))
        orders.append(seen)
    assert orders[0] == orders[1]


def test_apply_needs_no_recursion_and_refuses_a_cycle():
    root = cur = nn.Module()
    for _ in range(3000):
        cur.child = nn.Module()
        cur = cur.child
    count = []
    root.apply(count.append)
    assert len(count) == 3001 and count[0] is cur and count[-1] is root
    a, b = nn.Module(), nn.Module()
    a.b, b.a = b, a
    with pytest.raises(ValueError, match="apply: Module contains itself"):
        a.apply(lambda m: None)


def test_sequential_built_from_an_ordered_dict_exposes_its_names():
    fc, act = nn.Linear(2, 2), nn.ReLU()
    seq = nn.Sequential(OrderedDict(fc=fc, act=act))
    assert seq.fc is fc and seq.act is act
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'out'"):
        seq.out
    new = nn.Linear(2, 2, bias=False)
    seq.fc = new                                      # replaces the entry, in place
    assert list(seq) == [new, act] and list(seq.state_dict()) == ["fc.weight"]
    with pytest.raises(TypeError, match="Sequential: cannot assign a int to 'fc'"):
        seq.fc = 3
    seq.out = nn.Tanh()                               # a new module joins the sequence, as in torch
    assert [n for n, _ in seq.named_children()] == ["fc", "act", "out"]
    del seq.act
    assert [n for n, _ in seq.named_children()] == ["fc", "out"]
    md = nn.ModuleDict({"head": fc})
    assert md.head is fc


def test_sequential_setitem_delitem_insert_extend_pop():
    a, b, c, d = nn.Linear(1, 1), nn.ReLU(), nn.Tanh(), nn.Identity()
    seq = nn.Sequential(a, b)
    seq[1] = c
    assert list(seq) == [a, c]
    seq[-1] = b
    assert list(seq) == [a, b]
    assert seq.insert(1, c) is seq and list(seq) == [a, c, b]
    seq.insert(-1, d)                                 # before the last, as list.insert
    assert list(seq) == [a, c, d, b]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq) == [a, d, b] and [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    assert seq.pop(0) is a and list(seq) == [d, b]
    assert seq.extend([c, a]) is seq and list(seq) == [d, b, c, a]
    del seq[1:3]
    assert list(seq) == [d, a]
    both = seq + nn.Sequential(b)
    assert list(both) == [d, a, b] and list(seq) == [d, a]
    seq += nn.Sequential(c)
    assert list(seq) == [d, a, c]
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3 modules"):
        seq[3] = b
    with pytest.raises(IndexError, match="Sequential: index -4 is out of range for 3 modules"):
        del seq[-4]
    with pytest.raises(TypeError, match="Sequential: every entry must be a Module; '1' is a str"):
        seq[1] = "relu"
    with pytest.raises(TypeError, match="Sequential: can only add a Sequential, got a list"):
        seq + [b]
    with pytest.raises(TypeError, match="Sequential.insert: expected a Module, got a int"):
        seq.insert(0, 3)
    with pytest.raises(IndexError, match="Sequential.insert: index 5 is out of range for 3"):
        seq.insert(5, b)
    named = nn.Sequential(OrderedDict(fc=a, act=b))
    named.insert(1, c)
    assert [n for n, _ in named.named_children()] == ["fc", "1", "act"]
    del named[0]                                      # the others keep their names
    assert [n for n, _ in named.named_children()] == ["0", "act"] and named.act is b


def test_sequential_edits_name_entries_as_torch_does():
    torch = pytest.importorskip("torch")
    import torch.nn as tnn

    def edit(lib, mod):
        seq = mod.Sequential(mod.Linear(1, 2), mod.ReLU(), mod.Linear(2, 3))
        seq.insert(1, mod.Tanh())
        del seq[0]
        seq[1] = mod.Linear(2, 2)
        seq.append(mod.ReLU())
        seq.extend([mod.Linear(2, 4)])
        seq.pop(-2)
        del seq[1:2]
        return [(n, type(m).__name__) for n, m in seq.named_children()], list(seq.state_dict())

    assert edit("nn", nn) == edit("torch", tnn)
    del torch


def test_module_list_and_dict_have_torchs_container_methods():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    ml = nn.ModuleList([a, b, c])
    del ml[0]
    assert list(ml) == [b, c]
    assert ml.pop(-1) is c and ml.pop(0) is b and len(ml) == 0
    ml += [a, b]
    assert list(ml) == [a, b] and list(ml + nn.ModuleList([c])) == [a, b, c]
    del ml[:]
    assert len(ml) == 0
    with pytest.raises(IndexError, match="ModuleList: index 2 is out of range for 0 modules"):
        del ml[2]
    with pytest.raises(IndexError, match="ModuleList: index 5 is out of range for 0 modules"):
        ml[5] = a
    md = nn.ModuleDict({"a": a, "b": b})
    assert md.pop("a") is a and list(md) == ["b"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(KeyError, match="ModuleDict: no module named 'z'"):
        md.pop("z")
