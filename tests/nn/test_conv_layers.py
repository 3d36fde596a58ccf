"""Conv1d, Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, Dropout2d and
Unflatten: outputs and gradients against PyTorch, state dicts both ways, PyTorch's
initialisation, and errors that name the layer."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
import nn.functional as F
from gradcheck_helpers import check_grad, leaf

torch = pytest.importorskip("torch")
tnn = torch.nn
rng = np.random.default_rng(0)

# (name, ours, theirs, input shape)
PAIRS = [
    ("Conv2d", lambda: nn.Conv2d(3, 4, 3), lambda: tnn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("Conv2d-args", lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                      groups=2, bias=False),
     lambda: tnn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2,
                        bias=False), (2, 4, 8, 7)),
    ("Conv2d-same", lambda: nn.Conv2d(2, 3, 4, padding="same", dilation=2),
     lambda: tnn.Conv2d(2, 3, 4, padding="same", dilation=2), (1, 2, 9, 9)),
    ("Conv2d-valid", lambda: nn.Conv2d(2, 3, 3, padding="valid"),
     lambda: tnn.Conv2d(2, 3, 3, padding="valid"), (2, 2, 5, 5)),
    ("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1),
     lambda: tnn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("Conv1d-groups", lambda: nn.Conv1d(4, 4, 2, dilation=2, groups=4),
     lambda: tnn.Conv1d(4, 4, 2, dilation=2, groups=4), (3, 4, 8)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: tnn.MaxPool2d(2), (2, 3, 7, 6)),
    ("MaxPool2d-args", lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
     lambda: tnn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True), (2, 2, 8, 7)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda: tnn.AvgPool2d(2), (2, 3, 6, 6)),
    ("AvgPool2d-args", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda: tnn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 8, 7)),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((3, None)),
     lambda: tnn.AdaptiveAvgPool2d((3, None)), (2, 2, 7, 5)),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1),
     lambda: tnn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 5, 4)),
    ("BatchNorm2d-no-affine", lambda: nn.BatchNorm2d(3, affine=False, momentum=None),
     lambda: tnn.BatchNorm2d(3, affine=False, momentum=None), (4, 3, 2, 3)),
    ("Unflatten", lambda: nn.Unflatten(1, (2, -1, 3)), lambda: tnn.Unflatten(1, (2, -1, 3)),
     (2, 12, 5)),
]


def _to_torch(ours: nn.Module, theirs) -> None:
    """Load our state dict into the torch module (strict: every name and shape)."""
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _run_both(ours, theirs, shape, training):
    ours.train(training)
    theirs.train(training)
    x = rng.standard_normal(shape)
    xa, xt = leaf(x), torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    u = rng.standard_normal(ya.shape)
    np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ya.backward(u)
    yt.backward(torch.from_numpy(u))
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tparams[name].grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("make, make_torch, shape", [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_outputs_and_gradients_match_pytorch(make, make_torch, shape, training):
    nn.manual_seed(0)
    ours, theirs = make().double(), make_torch().double()
    _to_torch(ours, theirs)
    for _ in range(2):  # the second step sees the running statistics the first one moved
        _run_both(ours, theirs, shape, training)
    tstate = theirs.state_dict()
    for name, v in ours.state_dict().items():  # running statistics, num_batches_tracked
        np.testing.assert_allclose(np.asarray(v), tstate[name].numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("make, make_torch, shape", [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_a_torch_state_dict_loads_here_with_the_same_outputs(make, make_torch, shape):
    torch.manual_seed(0)
    theirs = make_torch()
    with torch.no_grad():  # every entry off its default
        for t in theirs.state_dict().values():
            t.add_(torch.rand_like(t) if t.is_floating_point() else 3)
    theirs.eval()
    ours = make()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})  # strict
    ours.eval()
    assert {k: np.shape(v) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    x = rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-5, atol=1e-5)


def test_state_dict_dtypes_and_buffers_are_torchs():
    bn, tbn = nn.BatchNorm2d(5), tnn.BatchNorm2d(5)
    assert list(bn.state_dict()) == list(tbn.state_dict())
    assert bn.state_dict()["num_batches_tracked"].dtype == np.int64
    conv = nn.Conv2d(3, 8, 3, bias=False)
    assert list(conv.state_dict()) == ["weight"] and conv.weight.dtype == np.float32


@pytest.mark.parametrize("make", [lambda: nn.Conv2d(64, 128, 3), lambda: nn.Conv1d(40, 50, 5),
                                  lambda: nn.Conv2d(64, 32, 3, groups=4)])
def test_convolution_init_is_pytorchs_uniform_in_one_over_sqrt_fan_in(make):
    nn.manual_seed(0)
    conv = make()
    fan_in = conv.weight.shape[1] * math.prod(conv.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for p in (conv.weight.data, conv.bias.data):
        assert p.min() >= -bound and p.max() <= bound
    assert abs(conv.weight.data.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3
    assert conv.weight.data.max() > 0.98 * bound
    nn.manual_seed(0)
    np.testing.assert_array_equal(make().weight.data, conv.weight.data)


def test_the_lessons_parameter_count():
    conv = nn.Conv2d(64, 128, 3)
    assert sum(p.size for p in conv.parameters()) == 73_856 == 3 * 3 * 64 * 128 + 128
    assert conv(np.zeros((1, 64, 10, 10), np.float32)).shape == (1, 128, 8, 8)


def test_conv2d_second_order_gradients_through_the_layer():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1).double()
    x = leaf(rng.standard_normal((2, 2, 5, 5)))

    def input_grad():
        with al.enable_grad():  # check_grad evaluates f under no_grad too
            return al.gradients((conv(x) ** 2).sum(), [x], create_graph=True)[0]
    check_grad(input_grad, [x, conv.weight])


def test_batchnorm2d_normalises_each_channel_and_tracks_running_statistics():
    bn = nn.BatchNorm2d(3, momentum=0.5)
    x = (rng.standard_normal((8, 3, 4, 4)) * [[[[1.0]], [[2.0]], [[3.0]]]] + 5).astype(np.float32)
    y = bn(x).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.data, 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.5 + 0.5 * var, rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    before = bn.running_mean.data.copy()
    expected = (x - before[:, None, None]) / np.sqrt(bn.running_var.data[:, None, None] + 1e-5)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, before)
    assert int(bn.num_batches_tracked.item()) == 1


def test_functional_batch_norm_takes_4d_input():
    x = rng.standard_normal((3, 2, 4, 5))
    y = F.batch_norm(x, None, None, training=True).data
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(y, torch.nn.functional.batch_norm(tx, None, None, training=True),
                               rtol=1e-9, atol=1e-12)


def test_dropout2d_drops_whole_channels_and_scales_the_rest():
    d = nn.Dropout2d(0.25, generator=np.random.default_rng(1))
    x = np.ones((200, 10, 3, 3), np.float32)
    y = d(x).data
    planes = y.reshape(200, 10, 9)
    assert ((planes == 0).all(axis=2) | (planes == np.float32(1 / 0.75)).all(axis=2)).all()
    dropped = (planes == 0).all(axis=2).mean()
    assert 0.2 < dropped < 0.3
    assert y.dtype == np.float32
    d.eval()
    np.testing.assert_array_equal(d(x).data, x)
    assert (F.dropout2d(x[0], 1.0).data == 0).all()  # one unbatched (C, H, W) sample


def test_dropout2d_gradient_uses_the_same_mask():
    x = leaf(rng.standard_normal((4, 6, 2, 2)))
    y = F.dropout2d(x, 0.5, generator=np.random.default_rng(2))
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, y.data / x.data)


def test_unflatten_undoes_flatten():
    x = rng.standard_normal((4, 784)).astype(np.float32)
    y = nn.Unflatten(1, (1, 28, 28))(x)
    assert y.shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(nn.Flatten()(y).data, x)
    assert nn.Unflatten(-1, (-1, 4))(x).shape == (4, 196, 4)


# ---- bad input: a specific error naming the layer and the values -----------------------

def test_conv2d_wrong_rank_names_the_layer_and_the_expected_shape():
    conv = nn.Conv2d(1, 6, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 6, kernel_size=\(5, 5\), stride=\(1, 1\)\): "
                                         r"expected input of shape \(N, C, H, W\) with C = "
                                         r"in_channels = 1, got shape \(64, 28, 28\).*x\[:, None\]"):
        conv(np.zeros((64, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"Conv1d\(2, 3, .*\(N, C, L\).*got shape \(2, 2, 5, 5\)"):
        nn.Conv1d(2, 3, 3)(np.zeros((2, 2, 5, 5), np.float32))


def test_channel_mismatch_names_in_channels_and_the_inputs_channels():
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, .*expected 3 input channels "
                                         r"\(in_channels=3\), got input of shape \(2, 1, 8, 8\) "
                                         r"with 1 channels"):
        nn.Conv2d(3, 8, 3)(np.zeros((2, 1, 8, 8), np.float32))


def test_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match=r"Conv2d: groups=3 must divide both in_channels \(4\) "
                                         r"and out_channels \(6\)"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match=r"Conv1d: groups must be a positive int, got 0"):
        nn.Conv1d(4, 6, 3, groups=0)


def test_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"Conv2d\(1, 2, kernel_size=\(5, 5\), stride=\(1, 1\), "
                                         r"padding=\(1, 1\)\): conv2d: the output would be empty: "
                                         r"input size \(2, 2\), kernel \(5, 5\).*padded input "
                                         r"\(\(4, 4\)\)"):
        nn.Conv2d(1, 2, 5, padding=1)(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=3.*max_pool2d: the output "
                                         r"would be empty: input size \(2, 2\)"):
        nn.MaxPool2d(3)(np.zeros((1, 1, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"AvgPool2d\(kernel_size=4.*avg_pool2d: the output "
                                         r"would be empty"):
        nn.AvgPool2d(4)(np.zeros((1, 1, 3, 3), np.float32))


@pytest.mark.parametrize("layer, kwargs, error, message", [
    (nn.Conv2d, {"stride": 0}, ValueError, r"Conv2d: stride must be positive, got 0"),
    (nn.Conv2d, {"stride": 1.5}, TypeError, r"Conv2d: stride must be an int or a tuple of 2 ints, "
                                            r"got 1.5"),
    (nn.Conv2d, {"padding": -1}, ValueError, r"Conv2d: padding must be non-negative, got -1"),
    (nn.Conv2d, {"padding": (1, 1, 1)}, TypeError, r"Conv2d: padding must be an int or a tuple "
                                                   r"of 2 ints, got \(1, 1, 1\)"),
    (nn.Conv2d, {"padding": "full"}, ValueError, r"Conv2d: padding must be .*'same' or 'valid', "
                                                 r"got 'full'"),
    (nn.Conv2d, {"padding": "same", "stride": 2}, ValueError, r"Conv2d: padding='same' needs "
                                                              r"stride 1"),
    (nn.Conv2d, {"dilation": 0}, ValueError, r"Conv2d: dilation must be positive, got 0"),
    (nn.Conv1d, {"dilation": (2, 2)}, TypeError, r"Conv1d: dilation must be an int or a tuple "
                                                 r"of 1 ints"),
])
def test_bad_stride_padding_or_dilation_of_a_convolution(layer, kwargs, error, message):
    with pytest.raises(error, match=message):
        layer(2, 2, 3, **kwargs)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be positive, got 0"),
    (lambda: nn.MaxPool2d(2, stride=-1), ValueError, r"MaxPool2d: stride must be positive"),
    (lambda: nn.MaxPool2d(2, dilation=2.0), TypeError, r"MaxPool2d: dilation must be an int"),
    (lambda: nn.MaxPool2d(2, return_indices=True), ValueError, r"return_indices=True is not "
                                                              r"supported"),
    (lambda: nn.AvgPool2d(2, padding=-1), ValueError, r"AvgPool2d: padding must be non-negative"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, r"AvgPool2d: divisor_override "
                                                              r"must be positive"),
    (lambda: nn.AdaptiveAvgPool2d(0), ValueError, r"AdaptiveAvgPool2d: output_size must be a "
                                                  r"positive int"),
    (lambda: nn.BatchNorm2d(0), ValueError, r"BatchNorm2d: num_features must be a positive int"),
    (lambda: nn.Dropout2d(1.5), ValueError, r"Dropout2d: probability p must be in \[0, 1\]"),
    (lambda: nn.Unflatten(1, (2, -1, -1)), TypeError, r"Unflatten: .*at most one -1"),
])
def test_bad_arguments_of_the_other_layers(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layer, shape, message", [
    (nn.MaxPool2d(2), (3, 8, 8), r"MaxPool2d\(kernel_size=2.*expected input of shape "
                                 r"\(N, C, H, W\), got shape \(3, 8, 8\)"),
    (nn.MaxPool2d(3, padding=2), (1, 1, 8, 8), r"MaxPool2d\(kernel_size=3.*padding 2 must be at "
                                               r"most half"),
    (nn.AdaptiveAvgPool2d(1), (8, 8), r"AdaptiveAvgPool2d\(output_size=1\): expected input"),
    (nn.BatchNorm2d(3), (4, 3, 5), r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), "
                                   r"got \(4, 3, 5\)"),
    (nn.BatchNorm2d(3), (4, 2, 5, 5), r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\)"),
    (nn.Dropout2d(), (4, 3), r"Dropout2d\(p=0.5\): expected input of shape \(N, C, H, W\)"),
    (nn.Unflatten(1, (1, 28, 28)), (4, 780), r"Unflatten\(dim=1, unflattened_size=\(1, 28, 28\)\): "
                                             r"input of shape \(4, 780\) has 780 elements along "
                                             r"dim 1, which cannot be split"),
    (nn.Unflatten(2, (2, 2)), (4, 4), r"Unflatten\(dim=2.*dim out of range"),
])
def test_bad_input_to_the_other_layers_names_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape, np.float32))


@pytest.mark.parametrize("shape", [(16, 6, 12, 12), (8, 16, 5, 5)])
def test_batchnorm2d_in_float32_matches_pytorch_over_train_and_eval_steps(shape):
    # The fused op at the sizes LeNet uses, with channels far from mean 0 and scale 1
    # (what a one-pass variance would get wrong) and moved weight and bias.
    c = shape[1]
    ours, theirs = nn.BatchNorm2d(c, momentum=0.3), tnn.BatchNorm2d(c, momentum=0.3)
    with al.no_grad():
        ours.weight.data[:] = rng.uniform(0.5, 2, c)
        ours.bias.data[:] = rng.standard_normal(c)
    _to_torch(ours, theirs)
    for step, training in enumerate([True, True, True, False]):
        ours.train(training)
        theirs.train(training)
        x = (rng.standard_normal(shape) * rng.uniform(0.1, 3, (1, c, 1, 1))
             + rng.uniform(-20, 20, (1, c, 1, 1))).astype(np.float32)
        xa, xt = al.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), theirs(xt)
        assert ya.dtype == np.float32
        np.testing.assert_allclose(ya.data, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
        u = rng.standard_normal(shape).astype(np.float32)
        ya.backward(u)
        yt.backward(torch.from_numpy(u))
        for got, want in ((xa.grad, xt.grad), (ours.weight.grad, theirs.weight.grad),
                          (ours.bias.grad, theirs.bias.grad)):
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-3, atol=1e-3 * np.abs(want.numpy()).max())
        ours.zero_grad()
        theirs.zero_grad()
        for name, v in ours.state_dict().items():
            np.testing.assert_allclose(np.asarray(v), theirs.state_dict()[name].numpy(), rtol=1e-5,
                                       err_msg=f"{name} after step {step}")


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm2d_second_order_gradients_match_pytorch(training):
    nn.manual_seed(0)
    ours, theirs = nn.BatchNorm2d(3).double(), tnn.BatchNorm2d(3).double()
    with al.no_grad():
        ours.weight.data[:] = [0.5, 1.5, -2.0]
        ours.running_mean.data[:] = [0.1, -0.3, 2.0]
        ours.running_var.data[:] = [0.5, 2.0, 1.5]
    _to_torch(ours, theirs)
    ours.train(training)
    theirs.train(training)
    x = rng.standard_normal((4, 3, 3, 2))
    xa, xt = leaf(x), torch.tensor(x, requires_grad=True)
    u = rng.standard_normal(x.shape)
    # d/dx and d/dweight of |dL/dx|^2, L = <u, bn(x)>: a second derivative through the VJP.
    (gx,) = al.gradients((ours(xa) * u).sum(), [xa], create_graph=True)
    hx, hw = al.gradients((gx * gx).sum(), [xa, ours.weight])
    (tgx,) = torch.autograd.grad((theirs(xt) * torch.from_numpy(u)).sum(), [xt], create_graph=True)
    thx, thw = torch.autograd.grad((tgx * tgx).sum(), [xt, theirs.weight], allow_unused=True)
    # In evaluation dL/dx = weight / sqrt(running_var + eps) * u does not depend on x.
    # does not depend on x: both libraries say so (None), and the weight's still counts.
    assert (hx is None) == (thx is None) == (not training)
    if training:
        np.testing.assert_allclose(hx, thx.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hw, thw.numpy(), rtol=1e-9, atol=1e-12)
