"""Tests for nn.data: DataLoader and one_hot."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn.data import DataLoader, one_hot


def make_xy(n: int) -> tuple[np.ndarray, np.ndarray]:
    # Row i of X encodes i, so a batch shows which samples it holds.
    return np.arange(n * 3).reshape(n, 3), np.arange(n)


# ---------------------------------------------------------------------------- DataLoader


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_batches_cover_every_sample_once(n, batch_size, shuffle, drop_last, seed):
    X, y = make_xy(n)
    loader = DataLoader(
        (X, y), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed
    )
    batches = list(loader)
    assert len(batches) == len(loader)
    sizes = [len(yb) for _, yb in batches]
    full, rest = divmod(n, batch_size)
    expected = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert sizes == expected
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], dtype=int)
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, X[yb])  # X and y stay paired
    if drop_last:
        assert len(np.unique(seen)) == len(seen) == full * batch_size
    else:
        assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


def test_len():
    X, y = make_xy(10)
    assert len(DataLoader((X, y), batch_size=3)) == 4
    assert len(DataLoader((X, y), batch_size=3, drop_last=True)) == 3
    assert len(DataLoader((X, y), batch_size=5)) == 2
    assert len(DataLoader((X, y), batch_size=5, drop_last=True)) == 2
    assert len(DataLoader((X, y), batch_size=20)) == 1
    assert len(DataLoader((X, y), batch_size=20, drop_last=True)) == 0
    assert list(DataLoader((X, y), batch_size=20, drop_last=True)) == []
    assert len(DataLoader(X)) == 10  # batch_size defaults to 1
    assert DataLoader((X, y), batch_size=3).num_samples == 10


def test_batch_contents_in_order():
    X, y = make_xy(5)
    batches = list(DataLoader((X, y), batch_size=2))
    assert [yb.tolist() for _, yb in batches] == [[0, 1], [2, 3], [4]]
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    np.testing.assert_array_equal(batches[2][0], [[12, 13, 14]])


def test_single_array_yields_arrays_and_three_arrays_yield_triples():
    X, y = make_xy(6)
    batches = list(DataLoader(X, batch_size=4))
    assert all(isinstance(b, np.ndarray) for b in batches)
    assert [b.shape for b in batches] == [(4, 3), (2, 3)]
    w = y * 10.0
    triples = list(DataLoader((X, y, w), batch_size=4))
    assert all(len(t) == 3 for t in triples)
    np.testing.assert_array_equal(triples[1][2], [40.0, 50.0])


def test_array_likes_in_tuple_are_converted():
    batches = list(DataLoader(([1, 2, 3], [[1], [2], [3]]), batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [1, 2])
    np.testing.assert_array_equal(batches[1][1], [[3]])


def test_map_style_dataset_is_collated():
    samples = [(np.full(2, i), i) for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2))
    assert len(batches) == 3
    xb, yb = batches[0]
    np.testing.assert_array_equal(xb, [[0, 0], [1, 1]])
    np.testing.assert_array_equal(yb, [0, 1])

    class Squares:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.array([i * i])

    out = list(DataLoader(Squares(), batch_size=3, shuffle=True, seed=1))
    assert sorted(np.concatenate(out).ravel().tolist()) == [0, 1, 4, 9]


def test_same_seed_same_order_and_epochs_differ():
    X, y = make_xy(50)
    a = DataLoader((X, y), batch_size=8, shuffle=True, seed=123)
    b = DataLoader((X, y), batch_size=8, shuffle=True, seed=123)

    def epoch(loader):
        return np.concatenate([yb for _, yb in loader]).tolist()

    a1, a2, a3 = epoch(a), epoch(a), epoch(a)
    b1, b2, b3 = epoch(b), epoch(b), epoch(b)
    assert (a1, a2, a3) == (b1, b2, b3)
    assert a1 != a2 and a2 != a3 and a1 != a3
    assert a1 != list(range(50))
    assert epoch(DataLoader((X, y), batch_size=8, shuffle=True, seed=124)) != a1


def test_partially_consumed_epoch_does_not_change_later_epochs():
    X, y = make_xy(30)
    a = DataLoader((X, y), batch_size=4, shuffle=True, seed=7)
    b = DataLoader((X, y), batch_size=4, shuffle=True, seed=7)
    next(iter(a))  # abandon the first epoch after one batch
    for _ in b:
        pass
    assert [yb.tolist() for _, yb in a] == [yb.tolist() for _, yb in b]


def test_unseeded_shuffle_still_covers_everything():
    X, y = make_xy(20)
    seen = np.concatenate([yb for _, yb in DataLoader((X, y), batch_size=3, shuffle=True)])
    assert sorted(seen.tolist()) == list(range(20))


def test_batches_are_copies():
    X, y = make_xy(4)
    for xb, yb in DataLoader((X, y), batch_size=2):
        xb[...] = -1
        yb[...] = -1
    np.testing.assert_array_equal(X, make_xy(4)[0])
    np.testing.assert_array_equal(y, np.arange(4))


def test_mismatched_first_dimensions():
    X, y = make_xy(5)
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 3\).*\(4,\)"):
        DataLoader((X, y[:4]), batch_size=2)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "at least 1"),
        ({"batch_size": -3}, ValueError, "at least 1"),
        ({"batch_size": 2.0}, TypeError, "must be an int"),
        ({"batch_size": True}, TypeError, "must be an int"),
    ],
)
def test_bad_batch_size(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(make_xy(3), **kwargs)


def test_bad_data():
    with pytest.raises(ValueError, match="at least one array"):
        DataLoader(())
    with pytest.raises(ValueError, match="0-dimensional"):
        DataLoader((np.arange(3), np.float32(1.0)))
    with pytest.raises(ValueError, match="0-dimensional"):
        DataLoader(np.array(5))
    with pytest.raises(TypeError, match="map-style dataset"):
        DataLoader(42)  # type: ignore[arg-type]


def test_repr():
    assert repr(DataLoader(make_xy(3), batch_size=2, shuffle=True, seed=0)) == (
        "DataLoader(num_samples=3, batch_size=2, shuffle=True, drop_last=False, seed=0)"
    )


# ------------------------------------------------------------------------------ one_hot


def test_one_hot_basic():
    out = one_hot(np.array([0, 2, 1, 2]))
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])


def test_one_hot_num_classes_dtype_and_shapes():
    out = one_hot([1, 0], num_classes=4, dtype=np.int64)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert one_hot(np.array(2, dtype=np.uint8), 3).tolist() == [0, 0, 1]
    assert one_hot(np.zeros((2, 3), dtype=np.int8), 5).shape == (2, 3, 5)
    assert one_hot(np.array([], dtype=np.int64), 10).shape == (0, 10)


@settings(max_examples=50, deadline=None)
@given(
    labels=hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.int32, np.int64]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
        elements=st.integers(0, 9),
    )
)
def test_one_hot_inverts_argmax(labels):
    out = one_hot(labels, 10)
    assert out.shape == labels.shape + (10,)
    np.testing.assert_array_equal(out.argmax(axis=-1), labels)
    np.testing.assert_array_equal(out.sum(axis=-1), 1)


@pytest.mark.parametrize(
    "labels, num_classes, match",
    [
        ([0, 3, 10], 10, r"expected 0 <= label < 10, found 10 at index 2"),
        ([0, -1, 2], 3, r"found -1 at index 1"),
        ([[0, 1], [7, 9]], 5, r"found 7 at index \(1, 0\) \(2 labels out of range\)"),
        ([1], 0, r"expected 0 <= label < 0, found 1"),
    ],
)
def test_one_hot_out_of_range(labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        one_hot(labels, num_classes)


@pytest.mark.parametrize("labels", [[0.0, 1.0], np.array([1.5]), [True, False], ["a"]])
def test_one_hot_rejects_non_integer_labels(labels):
    with pytest.raises(TypeError, match="integer labels"):
        one_hot(labels, 3)


def test_one_hot_argument_errors():
    with pytest.raises(ValueError, match="cannot infer num_classes"):
        one_hot(np.array([], dtype=np.int64))
    with pytest.raises(TypeError, match="num_classes must be an int"):
        one_hot([0], 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        one_hot([0], -1)
