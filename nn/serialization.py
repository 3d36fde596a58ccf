"""``save`` and ``load``: checkpoints as ``.npz`` or ``.safetensors`` files, written
atomically, verified when read, never pickled.

A checkpoint is any nesting of dicts (str or int keys), lists and tuples whose
leaves are arrays (or Tensors), Python numbers, strings, bools or None: a model's
``state_dict()``, an optimiser's, a scheduler's, or a dict of all of them. Each
array is one ``.npy`` entry of the zip; the structure, every array's shape and
dtype and the format version are a JSON document stored as a uint8 array under
``__meta__``. Loading reads with ``allow_pickle=False``, so it never executes code.

The file is written to a temporary file in the same directory, flushed, fsynced
and renamed over the target (``os.replace``, atomic on POSIX and Windows): a crash
mid-save leaves the previous checkpoint intact.

A path ending in ``.safetensors`` is written in that format instead (see
:mod:`nn._safetensors`): the same structure, with every array a tensor named by its path
(a model's ``state_dict`` keeps PyTorch's names, so ``safetensors.torch.load_file`` reads
it straight into a ``torch.nn`` module), the JSON document and CRC-32 checksums in the
header's metadata. ``load`` tells the two formats apart by their first bytes.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from typing import Any

import numpy as np

import autograd_lite as al

from . import _safetensors
from ._atomic import atomic_write

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "autograd_lite.nn.checkpoint"
VERSION = 1
_META = "__meta__"


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint (corrupt, truncated, or not ours)."""


def _encode(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON description of ``obj``; arrays are moved into ``arrays``."""
    if isinstance(obj, al.Tensor):
        obj = obj.data
    if isinstance(obj, (np.ndarray, np.generic)):
        arr = np.asarray(obj)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufc":
            raise TypeError(f"save: {path or 'the object'} is an array of dtype {arr.dtype}; only "
                            f"numeric and bool arrays can be saved (no pickled objects)")
        key = path or "value"
        while key in arrays or key == _META:  # e.g. keys 1 and "1" in one dict
            key += "_"
        arrays[key] = arr
        return {"array": key, "shape": list(arr.shape), "dtype": arr.dtype.str}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r} at {path or 'top level'}")
            items.append([k, _encode(v, f"{path}/{k}" if path else str(k), arrays)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, f"{path}/{i}" if path else str(i), arrays)
                       for i, v in enumerate(obj)]}
    raise TypeError(f"save: cannot save a {type(obj).__name__} at {path or 'top level'}; expected "
                    f"arrays, Tensors, numbers, strings, None, and dicts/lists/tuples of them")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (e.g. ``{'model': model.state_dict(), 'optim': opt.state_dict()}``)
    to ``path`` as an ``.npz`` file, or a ``.safetensors`` file if ``path`` ends so,
    atomically (see the module docstring)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save: path must be a str or path-like, got {type(path).__name__}")
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "", arrays)
    if _safetensors.wants_safetensors(path):
        data = _safetensors.serialize({"format": FORMAT, "version": VERSION, "tree": tree}, arrays)
        with atomic_write(path, fsync=True) as f:
            f.write(data)
        return
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, fsync=True) as f:
        _write_npz(f, arrays)


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    """The one place that writes the zip (tests make it fail midway)."""
    np.savez(f, **arrays)


def _decode(node: Any, arrays: Any, used: set[str]) -> Any:
    if not isinstance(node, dict) or len(node) == 0:
        raise ValueError(f"malformed metadata entry {node!r}")
    if "array" in node:
        key = node["array"]
        if key not in arrays.files:
            raise ValueError(f"the metadata names an array {key!r} that the file does not contain")
        arr = _entry(arrays, key)
        if list(arr.shape) != node["shape"] or arr.dtype.str != node["dtype"]:
            raise ValueError(f"array {key!r} has shape {arr.shape} dtype {arr.dtype.str}, but the "
                             f"metadata says shape {tuple(node['shape'])} dtype {node['dtype']}")
        used.add(key)
        return arr
    if "value" in node:
        return node["value"]
    if "dict" in node:
        return {k: _decode(v, arrays, used) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, arrays, used) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, arrays, used) for v in node["tuple"])
    raise ValueError(f"unknown metadata entry {sorted(node)}")


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by :func:`save`; arrays come back as ndarrays.

    Raises :class:`CheckpointError` (naming the path) if the file is not a valid
    checkpoint: not a zip, truncated, a failed CRC check, missing or malformed
    metadata, arrays that disagree with it, or pickled objects. A ``.safetensors``
    file is checked the same way; one that nn.save did not write (PyTorch's, say)
    loads as a flat dict of arrays, by tensor name.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load: path must be a str or path-like, got {type(path).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    try:
        # One handle that we close ourselves: np.load leaks its own when the zip is bad.
        with open(path, "rb") as f:
            magic = f.read(4)
            if magic != b"PK\x03\x04" and _safetensors.is_safetensors(path, magic + f.read(5)):
                return _load_safetensors(path)
            # Checked first so that NumPy never gets to treat other bytes as a pickle.
            if magic != b"PK\x03\x04":
                raise ValueError("the file is empty" if not magic else
                                 f"it is not an .npz (zip) archive: it starts with {magic!r}")
            f.seek(0)
            return _read(f)
    # zipfile reports some damage to its directory as an unsupported feature: a "version",
    # "compression method" or "patched data" (NotImplementedError) or encryption
    # (RuntimeError); flipping each byte of a checkpoint in turn produced all of these.
    except (ValueError, OSError, EOFError, KeyError, TypeError, OverflowError,
            NotImplementedError, RuntimeError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"load: {path!r} is not a valid nn checkpoint: {e}") from e


def _read(f: Any) -> Any:
    """The object stored in the open .npz file ``f``; ValueError if it is not valid."""
    with np.load(f, allow_pickle=False) as arrays:
        if _META not in arrays.files:
            raise ValueError(f"it has no {_META!r} entry (not written by nn.save)")
        try:
            meta = json.loads(_entry(arrays, _META).tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"its metadata is not valid JSON: {e}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"its metadata does not declare format {FORMAT!r}")
        if meta.get("version") != VERSION:
            raise ValueError(f"it has format version {meta.get('version')!r}; this version of "
                             f"nn reads version {VERSION}")
        used: set[str] = set()
        obj = _decode(meta.get("tree"), arrays, used)
        extra = set(arrays.files) - used - {_META}
        if extra:
            raise ValueError(f"it contains arrays the metadata does not describe: {sorted(extra)}")
        return obj


class _Arrays(dict):
    """A name -> array dict read like an open ``.npz`` (``.files``), for ``_decode``."""

    @property
    def files(self) -> list[str]:
        return list(self)


def _load_safetensors(path: str) -> Any:
    """The object in the safetensors file ``path``; ValueError if it is not valid."""
    arrays, meta = _safetensors.read(path)
    if meta is None:  # written by something else: its tensors by name
        return arrays
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"its metadata does not declare format {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise ValueError(f"it has format version {meta.get('version')!r}; this version of "
                         f"nn reads version {VERSION}")
    used: set[str] = set()
    obj = _decode(meta.get("tree"), _Arrays(arrays), used)
    extra = set(arrays) - used
    if extra:
        raise ValueError(f"it contains arrays the metadata does not describe: {sorted(extra)}")
    return obj


def _entry(arrays: Any, key: str) -> np.ndarray:
    """The array ``key`` of the open .npz, once its .npy header is known to claim no more
    bytes than the entry holds: NumPy allocates what the header says before reading, so a
    damaged header could otherwise ask for terabytes."""
    if isinstance(arrays, _Arrays):  # safetensors: its reader checked the sizes
        return arrays[key]
    info = arrays.zip.getinfo(f"{key}.npy")
    with arrays.zip.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0)):  # what np.savez writes for numeric arrays
            raise ValueError(f"array {key!r}: its .npy header has version {version}")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(fp)
        claimed = math.prod(shape) * dtype.itemsize
        if not dtype.hasobject and claimed > info.file_size - fp.tell():  # (objects: refused below)
            raise ValueError(f"array {key!r}: its header claims shape {shape} dtype {dtype.str} "
                             f"({claimed} bytes) but the entry holds {info.file_size} bytes")
    try:
        return arrays[key]  # zipfile checks the entry's CRC-32 as it reads it
    except ValueError as e:  # e.g. an object array, refused without pickle
        raise ValueError(f"array {key!r}: {e}") from None
