"""Names in a drawing: what ``params=`` says about tensors and modules, and the
label of a scope owner's cluster.

Modules are recognised by PyTorch's protocol (``named_parameters()``, optionally
``named_modules()``), so viz needs no import of ``nn``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from ..tensor import Tensor


def is_module(obj: Any) -> bool:
    """Whether ``obj`` looks like an ``nn.Module``: it has ``named_parameters()``."""
    return callable(getattr(obj, "named_parameters", None)) and not isinstance(obj, Tensor)


def naming(params: Any) -> tuple[dict[Any, str], dict[int, str]]:
    """Names for leaves and nodes (by identity) and for modules (by id) from ``params``: a
    Module (anything with ``named_parameters()``), a mapping of names to tensors or
    modules, or an iterable of ``(name, tensor)`` pairs. The first name given wins."""
    tensors: dict[Any, str] = {}
    modules: dict[int, str] = {}
    if params is None:
        return tensors, modules
    if is_module(params):
        items: Iterable[tuple[str, Any]] = [("", params)]
    elif isinstance(params, Mapping):
        items = params.items()
    else:
        items = params
    for name, obj in items:
        if isinstance(obj, Tensor):  # a non-leaf tensor names the node that made it
            tensors.setdefault(obj.node or obj, name)
        elif is_module(obj):
            prefix = f"{name}." if name else ""
            named_modules = getattr(obj, "named_modules", None)
            for qn, m in (named_modules() if callable(named_modules) else [("", obj)]):
                modules.setdefault(id(m), prefix + qn if qn else name or type(m).__name__)
            for qn, p in obj.named_parameters():
                tensors.setdefault(p, prefix + qn)
        else:
            raise TypeError(f"draw: params must map names to Tensors or Modules; {name!r} is a "
                            f"{type(obj).__name__}")
    return tensors, modules


def owner_label(owner: Any, modules: dict[int, str]) -> str:
    """A cluster's title: a string owner as it is, a module as ``name: Class``."""
    if isinstance(owner, str):
        return owner
    cls = type(owner).__name__
    name = modules.get(id(owner))
    return cls if name is None or name == cls else f"{name}: {cls}"


def script_names(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """A script's public global Tensors and Modules, to name what it computed."""
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and (isinstance(v, Tensor) or is_module(v))}


def array_names(namespace: Mapping[str, Any], root: Tensor) -> dict[str, Tensor]:
    """Names for the constant leaves of ``root``'s graph that hold one of the script's public
    NumPy arrays: the array's name when the leaf holds that very array, ``view of NAME``
    when a view of it (``X.T``), ``NAME as DTYPE`` when a converted copy of it. A script
    that multiplies by its global ``X`` then sees ``X`` in the drawing, not ``input``."""
    arrays = [(k, v) for k, v in namespace.items()
              if not k.startswith("_") and isinstance(v, np.ndarray) and v.size > 0]
    found: dict[str, Tensor] = {}
    if not arrays or root.node is None:
        return found
    stack, seen = [root.node], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for p in node.parents:
            if not isinstance(p, Tensor):
                stack.append(p)
            elif not p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                name = _array_name(p.data, arrays)
                if name is not None:
                    found.setdefault(name, p)
    return found


def _array_name(data: np.ndarray, arrays: list[tuple[str, np.ndarray]]) -> str | None:
    for name, a in arrays:
        if data is a:
            return name
    for name, a in arrays:
        if np.may_share_memory(data, a) and data.size == a.size:
            return f"view of {name}"
    for name, a in arrays:
        if data.shape == a.shape and data.dtype != a.dtype and np.array_equal(data, a):
            return f"{name} as {data.dtype}"
    return None
