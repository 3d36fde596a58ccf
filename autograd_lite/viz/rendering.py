"""From tensors, or from a script, to a DOT graph or an image file: :func:`to_dot`,
:func:`render` and :func:`render_script`."""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from ..tensor import Tensor
from .build import draw
from .dot import MAX_NODES, TIMEOUT
from .graph import Graph
from .naming import array_names, script_names
from .stats import GradRecord, record

if TYPE_CHECKING:
    import graphviz


def to_dot(*roots: Tensor, params: Any = None, grads: GradRecord | None = None,
           collapse: int | None = None, vanishing: float = 1e-6, exploding: float = 1e3,
           rankdir: str = "TB") -> graphviz.Digraph:
    """The graph of ``roots`` as a ``graphviz.Digraph``; see :func:`draw` for the options.

    Needs the ``graphviz`` Python package but not the ``dot`` binary (until rendered).
    """
    return draw(*roots, params=params, grads=grads, collapse=collapse, vanishing=vanishing,
                exploding=exploding).to_dot(rankdir)


def render(root: Tensor | Sequence[Tensor] | Graph, path: str | os.PathLike,
           format: str | None = None, *, max_nodes: int | None = MAX_NODES,
           timeout: float | None = TIMEOUT, **draw_kwargs: Any) -> Path:
    """Draw ``root`` (a Tensor, a list of Tensors or a :class:`Graph`) and write it to ``path``.

    Parameters
    ----------
    format
        ``'svg'``, ``'png'``, ``'pdf'`` (these run Graphviz's ``dot``) or ``'dot'``
        (the DOT source). Default: from ``path``'s suffix, else ``'svg'``.
    max_nodes, timeout
        Limits on ``dot`` (a graph of more nodes is refused; ``dot`` is stopped after
        ``timeout`` seconds): see :meth:`Graph.render`. None lifts a limit.
    **draw_kwargs
        ``params``, ``grads``, ``collapse``, ``vanishing``, ``exploding``: see :func:`draw`.

    Raises
    ------
    GraphvizNotFoundError
        If ``dot`` is not installed; the message says how to install it.
    ValueError
        If the graph has more than ``max_nodes`` nodes (the message suggests ``collapse=``
        and ``format='dot'``).
    TimeoutError
        If ``dot`` ran longer than ``timeout`` seconds.
    """
    if isinstance(root, Graph):
        if draw_kwargs:
            raise TypeError(f"render: options {sorted(draw_kwargs)} apply when drawing a Tensor, "
                            f"not an existing Graph")
        graph = root
    else:
        graph = draw(*(root if isinstance(root, (list, tuple)) else (root,)), **draw_kwargs)
    return graph.render(path, format, max_nodes=max_nodes, timeout=timeout)


def render_script(script_path: str | os.PathLike, tensor_name: str, out_path: str | os.PathLike,
                  format: str | None = None, *, argv: Sequence[str] = (),
                  **draw_kwargs: Any) -> Path:
    """Run a Python script and render the graph of one of its global tensors.

    The script runs as ``__main__`` (as ``python script.py`` would) with ``sys.argv``
    set to ``[script_path, *argv]`` and the script's directory first on ``sys.path``,
    inside :func:`record`, so any backward it runs adds gradient statistics. Its
    global Tensors and Modules name the leaves, and so do its global NumPy arrays the
    graph used as constants. ``sys.argv``, ``sys.path`` and
    ``sys.modules['__main__']`` are given back as they were when it returns or
    raises (modules the script imported stay imported, as after any import).

    Parameters
    ----------
    script_path
        The script to run.
    tensor_name
        Name of a global variable of the script holding a Tensor (e.g. ``'loss'``).
    out_path, format
        As in :func:`render`.
    **draw_kwargs
        ``collapse``, ``vanishing``, ``exploding``: see :func:`draw`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    with record() as rec:
        target, found = run_script("render_script", script_path, tensor_name, argv)
    return render(target, out_path, format, params=found, grads=rec, **draw_kwargs)


def run_script(who: str, script_path: str | os.PathLike, tensor_name: str,
               argv: Sequence[str]) -> tuple[Tensor, dict[str, Any]]:
    """Run ``script_path`` as ``__main__`` (see :func:`render_script`) and return its global
    Tensor ``tensor_name`` and its public global Tensors and Modules, by name. Errors
    name ``who``, the function the user called."""
    if not isinstance(script_path, (str, os.PathLike)):
        raise TypeError(f"{who}: script_path must be a path, got "
                        f"{type(script_path).__name__}")
    if not isinstance(tensor_name, str):
        raise TypeError(f"{who}: tensor_name must be the name of a global variable "
                        f"(a str), got {tensor_name!r}")
    script = Path(script_path)
    if not script.is_file():
        raise FileNotFoundError(f"{who}: no script at {str(script)!r}")
    with _as_command_line(script, argv):
        namespace = runpy.run_path(str(script), run_name="__main__")  # restores __main__ itself
    found = script_names(namespace)
    target = namespace.get(tensor_name)
    if not isinstance(target, Tensor):
        tensors = sorted(k for k, v in found.items() if isinstance(v, Tensor))
        what = "defines no global" if tensor_name not in namespace else \
            f"has a {type(target).__name__}, not a Tensor, in the global"
        raise (NameError if tensor_name not in namespace else TypeError)(
            f"{who}: {script} {what} {tensor_name!r}; its global tensors are: "
            f"{', '.join(tensors) or 'none'}")
    for name, leaf in array_names(namespace, target).items():  # after the Tensors: they win
        found.setdefault(name, leaf)
    return target, found


@contextlib.contextmanager
def _as_command_line(script: Path, argv: Sequence[str]) -> Iterator[None]:
    """``sys.argv`` and ``sys.path`` as ``python script *argv`` has them, then the
    caller's own back, even if the script raised or called ``sys.exit``.

    Both are new lists while the script runs, so nothing it does to them (appending,
    or rebinding ``sys.path``) reaches the caller's lists.
    """
    saved_argv, saved_path = sys.argv, sys.path
    sys.argv = [str(script), *argv]
    sys.path = [str(script.resolve().parent), *saved_path]
    try:
        yield
    finally:
        sys.argv, sys.path = saved_argv, saved_path
