"""autograd_lite.pytree: nested dicts, lists and tuples flatten and come back as they were."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.pytree import (leaves_like, tree_flatten, tree_leaves, tree_map, tree_structure,
                                  tree_unflatten)

Pair = namedtuple("Pair", "a b")


def test_flatten_then_unflatten_gives_the_same_tree():
    t = al.tensor([1.0])
    tree = {"w": t, "layers": [np.zeros(2), (3.0, None, Pair(4, [5]))],
            "state": OrderedDict(b=6, a=7)}
    leaves, treedef = tree_flatten(tree)
    assert leaves[0] is t and leaves[2:] == [3.0, 4, 5, 6, 7]
    back = tree_unflatten(treedef, leaves)
    assert back["w"] is t and back["layers"][1] == (3.0, None, Pair(4, [5]))
    assert type(back["layers"][1][2]) is Pair and type(back["state"]) is OrderedDict
    assert list(back["state"]) == ["b", "a"]   # insertion order kept
    assert treedef.num_leaves == 7 and tree_structure(back) == treedef


def test_none_is_an_empty_subtree_and_a_bare_value_is_one_leaf():
    assert tree_flatten(None)[0] == []
    leaves, treedef = tree_flatten(2.5)
    assert leaves == [2.5] and tree_unflatten(treedef, [1]) == 1


def test_unflatten_counts_the_leaves():
    _, treedef = tree_flatten([1, (2, 3)])
    with pytest.raises(ValueError, match="has 3 leaves, got 2"):
        tree_unflatten(treedef, [1, 2])


def test_dicts_match_by_key_whatever_their_order():
    _, treedef = tree_flatten({"a": 1, "b": [2, 3]})
    assert leaves_like(treedef, {"b": [20, 30], "a": 10}, "f", "x") == [10, 20, 30]
    assert tree_structure({"b": [0, 0], "a": 0}) == treedef
    assert tree_map(lambda x, y: x + y, {"a": 1, "b": [2, 3]}, {"b": [20, 30], "a": 10}) == \
        {"a": 11, "b": [22, 33]}


@pytest.mark.parametrize("other, message", [
    ({"a": 1}, r"at the top the keys are \['a'\], expected \['a', 'b'\]"),
    ({"a": 1, "b": [2]}, r"at \['b'\] there are 1 entries, expected 2"),
    ({"a": [1], "b": [2, 3]}, r"at \['a'\] there is a list where a leaf was expected"),
    ([1, 2], "at the top there is a list where a dict was expected"),
])
def test_a_different_structure_is_named_where_it_differs(other, message):
    _, treedef = tree_flatten({"a": 1, "b": [2, 3]})
    with pytest.raises(ValueError, match=message):
        leaves_like(treedef, other, "jvp", "tangents")


def test_tree_leaves_and_map_keep_the_order():
    tree = [{"x": 1, "y": 2}, (3,)]
    assert tree_leaves(tree) == [1, 2, 3]
    assert tree_map(lambda v: v * 10, tree) == [{"x": 10, "y": 20}, (30,)]
