"""The optimiser base class: parameter groups, per-parameter state, state dicts.

Updates change each parameter's array in place with plain NumPy (per-parameter
``_update`` calls run under ``al.no_grad()``), inside ``al.modifying(params)``: an
array a live graph saved (read-only while it lives, e.g. after
``backward(retain_graph=True)``) can be written there, and on exit every parameter's
version counter is incremented, so a graph that saved a parameter before the step
refuses to backpropagate through the stale value.
State arrays have the parameter's dtype, and hyper-parameters are read as Python
floats (weak scalars under NumPy 2) or as 0-d arrays of the parameter's dtype
(:func:`scalar`), so a float32 model never computes in float64.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

import autograd_lite as al

from ..utils import grad_array


class Optimizer:
    """Base class. Subclasses set ``state_keys`` and implement :meth:`_update`, and
    may override :meth:`_hyper` to read a group's hyper-parameters once per step
    rather than once per parameter, or :meth:`_update_group` to update a whole
    group in one call.

    Parameters
    ----------
    params
        An iterable of Tensors, or of dicts (parameter groups) each with a
        ``'params'`` entry and any hyper-parameters that override ``defaults``.
    defaults
        Hyper-parameters for groups that do not set them.
    """

    #: Names of the per-parameter state entries this optimiser may create.
    state_keys: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[al.Tensor, dict[str, Any]] = {}
        if isinstance(params, al.Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or dicts, got a "
                            f"single Tensor; wrap it in a list")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(f"{self._name}: params must be the parameters, not the "
                            f"{type(params).__name__} module itself: pass model.parameters()")
        groups = self._ordered(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"

    def _ordered(self, params: Iterable[Any]) -> list[Any]:
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: parameters must be an ordered sequence (a set has no "
                            f"stable order, so state could not be matched on reload)")
        if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or of dicts "
                            f"(parameter groups), got {type(params).__name__}")
        return list(params)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{self._name}: a parameter group must be a dict with a 'params' "
                            f"entry, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, al.Tensor) else self._ordered(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, al.Tensor):
                raise TypeError(f"{self._name}: can only optimise Tensors, but parameter {i} of "
                                f"group {len(self.param_groups)} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: can only optimise leaf Tensors; parameter {i} "
                                 f"(shape {p.shape}) was produced by op {p.op!r}")
            if p.dtype.kind != "f":
                raise TypeError(f"{self._name}: parameter {i} has dtype {p.dtype}; expected floating")
            if id(p) in seen:
                raise ValueError(f"{self._name}: parameter {i} (shape {p.shape}) appears more than "
                                 f"once across the parameter groups")
            seen.add(id(p))
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        for k, v in group.items():  # every optimiser's hyper-parameters, the new ones too
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{self._name}: invalid {k} {v!r}; expected a finite number")
        self._validate(group)
        group["params"] = params
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise a clear error for an invalid hyper-parameter (subclasses extend)."""
        self._check(group, "lr", lambda v: v >= 0, ">= 0")

    def _check(self, group: dict[str, Any], key: str, ok: Callable[[Any], bool], expect: str) -> None:
        v = group[key]
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{self._name}: invalid {key} {v!r}; expected a number ({expect})")
        if not ok(v):
            raise ValueError(f"{self._name}: invalid {key} {v!r}; expected {expect}")

    def _check_betas(self, group: dict[str, Any]) -> None:
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2
                and all(isinstance(b, (int, float)) and 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"{self._name}: invalid betas {betas!r}; expected two numbers in [0, 1)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradient of every parameter (to None, or to zeros)."""
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(grad_array(p))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given
        (a function that recomputes the loss, calling backward)."""
        loss = None
        if closure is not None:
            with al.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads = [], []
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                data = p.data  # the array's own shape and dtype: cheaper than Tensor properties
                # Identity first: an array's dtype is almost always the very same object.
                if type(g) is not np.ndarray or g.shape != data.shape or g.dtype is not data.dtype:
                    g = self._grad_array(p)
                params.append(p)
                grads.append(g)
            if params:
                # Marks every parameter on exit, even after an error: a graph that saved
                # one changed before it must not backpropagate through the new values.
                try:
                    with al.modifying(params):
                        self._update_group(params, grads, group)
                except ValueError:
                    for p in params:
                        if not p.data.flags.writeable:
                            raise ValueError(
                                f"{self._name}.step: a parameter of shape {p.shape} and dtype "
                                f"{p.dtype} holds a read-only array, which cannot be updated "
                                f"in place; give it a writable copy first "
                                f"(p.data = p.data.copy())") from None
                    raise
        return loss

    def _grad_array(self, p: al.Tensor) -> np.ndarray:
        """``p.grad`` as an ndarray of ``p``'s shape and dtype, or a clear error."""
        g = grad_array(p)  # (the values of a create_graph gradient)
        if g.shape != p.data.shape:
            raise ValueError(f"{self._name}.step: a parameter of shape {p.shape} has "
                             f"a gradient of shape {g.shape}")
        return g if g.dtype == p.data.dtype else g.astype(p.data.dtype)

    def _update_group(self, params: list[al.Tensor], grads: list[np.ndarray],
                      group: dict[str, Any]) -> None:
        """Update one group's parameters (those with a gradient) in place: reads the
        hyper-parameters once (:meth:`_hyper`), then calls :meth:`_update` for each
        parameter under ``no_grad``, with its state dict. An optimiser may override
        this instead, to update a whole group without a call per parameter; an
        override runs outside ``no_grad``, so it writes the arrays (``p.data``) with
        NumPy rather than calling the Tensor in-place methods."""
        hp = self._hyper(group)
        states = self.state
        with _NO_GRAD:  # _update may use the Tensor in-place methods
            for p, g in zip(params, grads):
                state = states.get(p)
                if state is None:
                    state = states[p] = {}
                self._update(p, g, state, hp)

    def _hyper(self, group: dict[str, Any]) -> Any:
        """What :meth:`_update` receives as ``hp``, computed once per group and step
        (subclasses return e.g. a tuple of floats). The default is the group itself."""
        return group

    def _update(self, p: al.Tensor, grad: np.ndarray, state: dict[str, Any], hp: Any) -> None:
        """Update ``p.data`` in place from ``grad`` (an ndarray of its shape and dtype);
        ``state`` is the parameter's state dict, ``hp`` what :meth:`_hyper` returned.
        Never rebind ``p.data`` to a new array: models and graphs hold the old one."""
        raise NotImplementedError(f"{self._name} must implement _update()")

    # ---- state --------------------------------------------------------------
    def _state_shape(self, key: str, p: al.Tensor) -> tuple[int, ...] | None:
        """The shape of state array ``key`` of parameter ``p`` (checked by
        :meth:`load_state_dict`), or None if ``p`` has no such state. The default
        is ``p``'s shape; an optimiser with factored state (Adafactor) overrides it."""
        return p.shape

    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``
        with parameters numbered in group order, as in PyTorch; arrays are copies."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict`.

        Everything is checked first (group count, parameter counts, hyper-parameter
        names, state names, each array's shape and dtype against its parameter); all
        problems are reported in one ``ValueError`` and nothing is changed.
        """
        problems: list[str] = []
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            keys = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{self._name}.load_state_dict: expected a dict with keys 'param_groups' "
                             f"and 'state', got {keys}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: the state has {len(saved_groups)} "
                             f"parameter groups, this optimiser has {len(self.param_groups)}")
        by_index: dict[Any, al.Tensor] = {}
        for gi, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(sg.get("params", ())) != len(g["params"]):
                problems.append(f"group {gi}: {len(sg.get('params', ()))} parameters saved, "
                                f"{len(g['params'])} here")
                continue
            mine, theirs = set(g) - {"params"}, set(sg) - {"params"}
            if mine - theirs:
                problems.append(f"group {gi}: missing hyper-parameters {sorted(mine - theirs)}")
            if theirs - mine:
                problems.append(f"group {gi}: unexpected hyper-parameters {sorted(theirs - mine)}")
            by_index.update(zip(sg["params"], g["params"]))
        new_state: dict[al.Tensor, dict[str, Any]] = {}
        for idx, s in state_dict["state"].items():
            p = by_index.get(idx)
            if p is None:
                problems.append(f"state for parameter {idx!r}, which no group lists")
                continue
            unknown = sorted(set(s) - set(self.state_keys))
            if unknown:
                problems.append(f"parameter {idx}: unexpected state {unknown} for {self._name} "
                                f"(expected some of {list(self.state_keys)})")
            entry = {}
            for k, v in s.items():
                if isinstance(v, (np.ndarray, al.Tensor)):
                    arr = v.data if isinstance(v, al.Tensor) else v
                    shape = self._state_shape(k, p)
                    if shape is None:
                        problems.append(f"parameter {idx}: state {k!r} does not apply to a parameter "
                                        f"of shape {p.shape} in {self._name}")
                        continue
                    if arr.shape != shape or arr.dtype != p.dtype:
                        problems.append(f"parameter {idx} state {k!r}: expected shape {shape} dtype "
                                        f"{p.dtype}, got shape {arr.shape} dtype {arr.dtype}")
                        continue
                    # A copy; one of the parameter's shape also takes its memory order.
                    v = np.empty_like(p.data) if shape == p.shape else np.empty(shape, p.dtype)
                    v[...] = arr
                entry[k] = v
            new_state[p] = entry
        if problems:
            raise ValueError(f"{self._name}.load_state_dict: the state does not match this "
                             f"optimiser:\n  " + "\n  ".join(problems))
        for g, sg in zip(self.param_groups, saved_groups):
            g.update({k: v for k, v in sg.items() if k != "params"})
        self.state = new_state


def scalar(value: float, dtype: np.dtype) -> np.ndarray:
    """``value`` as a read-only 0-d array of ``dtype`` (cached). NumPy multiplies an
    array by a 0-d array of its own dtype in about 60% of the time it takes with a
    Python float, which must first be resolved as a weak scalar; an optimiser scales
    every parameter's update on every step."""
    key = (value, dtype)
    c = _SCALARS.get(key)
    if c is None:
        if len(_SCALARS) >= 256:  # a schedule changes lr every step: keep only recent values
            _SCALARS.clear()
        c = _SCALARS[key] = np.array(value, dtype)
        c.flags.writeable = False
    return c


_SCALARS: dict[tuple[float, np.dtype], np.ndarray] = {}
# One shared instance (it keeps a stack, so it nests): building a context manager per step costs.
_NO_GRAD = al.no_grad()


def hyper(group: dict[str, Any], *keys: str) -> list[float]:
    """The named hyper-parameters as Python floats (weak scalars: never promote float32)."""
    out = []
    for k in keys:  # a loop, not a comprehension: in 3.11 that is one frame fewer per step
        out.append(float(group[k]))
    return out


def adam_hyper(group: dict[str, Any], *flags: str) -> tuple:
    """``lr, eps, weight_decay, beta1, beta2`` as floats, then the named flags as they are:
    what every optimiser of Adam's family reads per group."""
    lr, eps, wd = hyper(group, "lr", "eps", "weight_decay")
    b1, b2 = group["betas"]
    return (lr, eps, wd, float(b1), float(b2), *[group[f] for f in flags])


__all__ = ["Optimizer", "adam_hyper", "hyper", "scalar"]
