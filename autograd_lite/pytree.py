"""Pytrees: nested dicts, lists and tuples (namedtuples included) of leaves.

What lets the transforms take and return a model's parameters as they are kept:
``al.grad(loss)(params)`` with ``params`` a dict of Tensors returns a dict of the same
keys. A *leaf* is anything that is not a container: a Tensor, an ndarray, a number.
``None`` is an empty container (no leaves), as in JAX. Dicts keep their insertion
order (a ``state_dict``'s order), and are matched by key when two trees are compared.

>>> from autograd_lite.pytree import tree_flatten, tree_unflatten
>>> leaves, tree = tree_flatten({"w": 1.0, "layers": [2.0, (3.0, None)]})
>>> leaves
[1.0, 2.0, 3.0]
>>> tree
{'w': *, 'layers': [*, (*, None)]}
>>> tree_unflatten(tree, [10, 20, 30])
{'w': 10, 'layers': [20, (30, None)]}
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Sequence

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_map",
           "tree_structure"]


class TreeDef:
    """The shape of a pytree without its leaves: what :func:`tree_unflatten` fills in.

    Two treedefs are equal when their containers are of the same types with the
    same keys (dicts in any order) and lengths.
    """

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta: Any = None, children: tuple[TreeDef, ...] = ()) -> None:
        self.kind = kind            # "leaf", "none", "dict", "list", "tuple", "namedtuple"
        self.meta = meta            # dict: (type, keys); namedtuple: its class
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeDef) or self.kind != other.kind:
            return False
        if self.kind == "dict":
            mine = dict(zip(self.meta[1], self.children))
            theirs = dict(zip(other.meta[1], other.children))
            return mine.keys() == theirs.keys() and all(mine[k] == theirs[k] for k in mine)
        return self.meta == other.meta and self.children == other.children

    def __hash__(self) -> int:
        return hash((self.kind, self.num_leaves))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        parts = [repr(c) for c in self.children]
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(self.meta[1], parts)) + "}"
        if self.kind == "list":
            return "[" + ", ".join(parts) + "]"
        body = ", ".join(parts) + ("," if len(parts) == 1 and self.kind == "tuple" else "")
        return f"{self.meta.__name__}({body})" if self.kind == "namedtuple" else f"({body})"


_LEAF = TreeDef("leaf")
_NONE = TreeDef("none")


def _children(x: Any) -> tuple[str, Any, list[Any]] | None:
    """(kind, meta, children) for a container, None for a leaf."""
    if x is None:
        return "none", None, []
    if isinstance(x, dict):
        return "dict", (type(x), tuple(x)), list(x.values())
    if isinstance(x, list):
        return "list", None, x
    if isinstance(x, tuple):
        if hasattr(type(x), "_fields"):
            return "namedtuple", type(x), list(x)
        return "tuple", None, list(x)
    return None


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree`` in order (depth first, dicts in insertion order), and its
    structure."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(x: Any, leaves: list[Any]) -> TreeDef:
    parts = _children(x)
    if parts is None:
        leaves.append(x)
        return _LEAF
    kind, meta, kids = parts
    if kind == "none":
        return _NONE
    return TreeDef(kind, meta, tuple(_flatten(k, leaves) for k in kids))


def tree_unflatten(treedef: TreeDef, leaves: Sequence[Any]) -> Any:
    """The tree of structure ``treedef`` with ``leaves`` in its leaf positions."""
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: the structure {treedef!r} has {treedef.num_leaves} "
                         f"leaves, got {len(leaves)}")
    it = iter(leaves)
    return _build(treedef, it)


def _build(d: TreeDef, it: Any) -> Any:
    if d.kind == "leaf":
        return next(it)
    if d.kind == "none":
        return None
    kids = [_build(c, it) for c in d.children]
    if d.kind == "dict":
        cls, keys = d.meta
        # OrderedDict (a state_dict) comes back as one; other dict subclasses, whose
        # constructors may want more than pairs, come back as plain dicts.
        return (cls if cls in (dict, OrderedDict) else dict)(zip(keys, kids))
    if d.kind == "list":
        return kids
    if d.kind == "namedtuple":
        return d.meta(*kids)
    return tuple(kids)


def tree_leaves(tree: Any) -> list[Any]:
    """The leaves of ``tree``, in :func:`tree_flatten`'s order."""
    return tree_flatten(tree)[0]


def tree_structure(tree: Any) -> TreeDef:
    """The structure of ``tree``."""
    return tree_flatten(tree)[1]


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``fn`` applied to every leaf of ``tree`` (and the matching leaves of ``rest``,
    trees of the same structure), in a tree of the same structure.

    >>> tree_map(lambda a, b: a + b, {"x": 1, "y": [2]}, {"y": [20], "x": 10})
    {'x': 11, 'y': [22]}
    """
    leaves, treedef = tree_flatten(tree)
    others = [leaves_like(treedef, r, "tree_map", f"tree {i + 2}") for i, r in enumerate(rest)]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def leaves_like(treedef: TreeDef, tree: Any, caller: str, what: str) -> list[Any]:
    """The leaves of ``tree`` in the order of ``treedef``'s, checking that it has that
    structure (dicts are matched by key); a ValueError naming the first difference."""
    leaves: list[Any] = []
    _match(treedef, tree, leaves, caller, what, "")
    return leaves


def _match(d: TreeDef, x: Any, leaves: list[Any], caller: str, what: str, path: str) -> None:
    def mismatch(detail: str) -> ValueError:
        return ValueError(f"{caller}: {what} must have the structure {d!r}, but at "
                          f"{path or 'the top'} {detail}")

    if d.kind == "leaf":
        if _children(x) is not None:
            raise mismatch(f"there is a {type(x).__name__} where a leaf was expected")
        leaves.append(x)
        return
    parts = _children(x)
    if parts is None or parts[0] != d.kind and {parts[0], d.kind} != {"tuple", "namedtuple"}:
        raise mismatch(f"there is {'a leaf' if parts is None else 'a ' + type(x).__name__} "
                       f"where a {d.kind} was expected")
    if d.kind == "dict":
        keys = d.meta[1]
        if set(x) != set(keys):
            raise mismatch(f"the keys are {sorted(map(str, x))}, expected {sorted(map(str, keys))}")
        for k, c in zip(keys, d.children):
            _match(c, x[k], leaves, caller, what, f"{path}[{k!r}]")
        return
    kids = parts[2]
    if len(kids) != len(d.children):
        raise mismatch(f"there are {len(kids)} entries, expected {len(d.children)}")
    for i, (c, k) in enumerate(zip(d.children, kids)):
        _match(c, k, leaves, caller, what, f"{path}[{i}]")
