"""MNIST and Fashion-MNIST: IDX parsing, checksum verification, locating and downloading.

The four standard files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``) may each be stored raw or
gzip-compressed (``.gz``). Directories are searched in this order:

1. the explicit ``path`` argument (``path/<name>`` first, then ``path`` itself);
2. ``$AUTOGRAD_LITE_DATA/<name>``, when the variable is set;
3. the user cache directory ``$XDG_CACHE_HOME/autograd_lite/<name>``
   (``~/.cache/autograd_lite/<name>`` when ``XDG_CACHE_HOME`` is unset).

``<name>`` is ``mnist`` or ``fashion_mnist``. Only a directory holding all four files is
used. If none does and ``download=True``, the missing files are fetched from public
mirrors into ``path`` (when given) or else into the cache directory.

Only NumPy and the standard library are required; ``tqdm`` is used for the download
progress bar when it is installed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Checksum",
    "DatasetError",
    "MNISTData",
    "Split",
    "load_mnist",
    "read_idx",
    "to_float",
]

ENV_VAR = "AUTOGRAD_LITE_DATA"

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES: tuple[str, ...] = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

NUM_CLASSES = 10


class DatasetError(ValueError):
    """A dataset file is missing, unreadable, malformed or fails verification.

    The message always names the file (or URL) concerned and states what was expected
    and what was found.
    """


@dataclass(frozen=True)
class Checksum:
    """An expected digest for one dataset file.

    Parameters
    ----------
    digest : str
        Hex digest (case-insensitive).
    algorithm : str, default "sha256"
        Any name accepted by :func:`hashlib.new`.
    compressed : bool, default False
        ``False``: the digest is of the decompressed IDX payload, so it holds whether the
        file is stored raw or was gzip-compressed with any settings.
        ``True``: the digest is of the ``.gz`` file exactly as distributed; a raw file
        then cannot be verified and a warning is issued instead.
    """

    digest: str
    algorithm: str = "sha256"
    compressed: bool = False

    def __post_init__(self) -> None:
        try:
            hashlib.new(self.algorithm)
        except ValueError:
            raise ValueError(f"unknown hash algorithm {self.algorithm!r}") from None
        object.__setattr__(self, "digest", self.digest.strip().lower())


class Split(NamedTuple):
    """One split of the dataset: ``images`` (N, H, W) and ``labels`` (N,)."""

    images: NDArray[Any]
    labels: NDArray[np.int64]


class MNISTData(NamedTuple):
    """Train and test splits; unpacks as ``(X_train, y_train), (X_test, y_test)``."""

    train: Split
    test: Split


@dataclass(frozen=True)
class _DatasetInfo:
    title: str
    checksums: Mapping[str, Checksum]
    mirrors: tuple[str, ...]


# SHA-256 of the decompressed files: unlike the MD5s of the original .gz files, these
# stay valid for copies that were re-compressed with different gzip settings.
_MNIST_SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Fashion-MNIST publishes only MD5s of its .gz files (zalandoresearch/fashion-mnist
# README, "Get the Data"); no digest of the decompressed payload is published, so a raw
# or re-compressed copy can only be format-checked.
_FASHION_MD5_GZ = {
    TRAIN_IMAGES: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    TRAIN_LABELS: "25c81989df183df01b3e8a0aad5dffbe",
    TEST_IMAGES: "bef4ecab320f06d8554ea6380940ec79",
    TEST_LABELS: "bb300cfdad3c16e7a12a480ee83cd310",
}

_DATASETS: dict[str, _DatasetInfo] = {
    "mnist": _DatasetInfo(
        title="MNIST",
        checksums={k: Checksum(v) for k, v in _MNIST_SHA256.items()},
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
    ),
    "fashion_mnist": _DatasetInfo(
        title="Fashion-MNIST",
        checksums={k: Checksum(v, "md5", compressed=True) for k, v in _FASHION_MD5_GZ.items()},
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    ),
}

# IDX type byte -> element type; multi-byte types are big-endian on disk.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


# --------------------------------------------------------------------------- IDX parsing


def _decompress(raw: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        # BadGzipFile (an OSError) covers bad magic and CRC/length mismatches, EOFError a
        # truncated stream, zlib.error a damaged deflate stream.
        raise DatasetError(
            f"{source}: corrupt gzip data: expected a complete gzip stream, "
            f"found {type(exc).__name__}: {exc}"
        ) from exc


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read file: {exc.strerror or exc}") from exc


def _parse_idx(
    payload: bytes,
    source: str,
    *,
    expected_ndim: int | None = None,
    expected_dtype: np.dtype[Any] | None = None,
) -> NDArray[Any]:
    if len(payload) < 4:
        raise DatasetError(
            f"{source}: too short for an IDX header: expected at least 4 bytes, "
            f"found {len(payload)}"
        )
    magic = int.from_bytes(payload[:4], "big")
    zero, type_byte, ndim = int.from_bytes(payload[:2], "big"), payload[2], payload[3]
    if expected_ndim is not None and expected_dtype is not None:
        want = f"0x0000{_dtype_code(expected_dtype):02X}{expected_ndim:02X}"
    else:
        want = "0x0000TTNN (TT = IDX type code, NN = number of dimensions)"
    if zero != 0 or type_byte not in _IDX_DTYPES:
        raise DatasetError(
            f"{source}: bad IDX magic number: expected {want}, found 0x{magic:08X}"
        )
    dtype = _IDX_DTYPES[type_byte]
    if expected_dtype is not None and dtype != expected_dtype:
        raise DatasetError(
            f"{source}: wrong IDX element type: expected {expected_dtype} "
            f"(magic {want}), found {dtype.newbyteorder('=').name} (magic 0x{magic:08X})"
        )
    if expected_ndim is not None and ndim != expected_ndim:
        raise DatasetError(
            f"{source}: wrong number of dimensions: expected {expected_ndim} "
            f"(magic {want}), found {ndim} (magic 0x{magic:08X})"
        )
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise DatasetError(
            f"{source}: truncated IDX header: expected {header} bytes for {ndim} "
            f"dimension sizes, found {len(payload)}"
        )
    shape = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in shape:
        count *= d
    expected = header + count * dtype.itemsize
    if len(payload) != expected:
        kind = "truncated payload" if len(payload) < expected else "trailing bytes after payload"
        raise DatasetError(
            f"{source}: {kind}: dimensions {shape} need {expected} bytes "
            f"({header} header + {count * dtype.itemsize} data), found {len(payload)}"
        )
    array = np.frombuffer(payload, dtype=dtype, count=count, offset=header).reshape(shape)
    # frombuffer gives a read-only view of immutable bytes; callers expect an ordinary
    # writable, native-endian array.
    return array.astype(dtype.newbyteorder("="), copy=True)


def _dtype_code(dtype: np.dtype[Any]) -> int:
    for code, dt in _IDX_DTYPES.items():
        if dt == dtype:
            return code
    raise ValueError(f"no IDX type code for {dtype}")


def read_idx(file: str | os.PathLike[str]) -> NDArray[Any]:
    """Read one IDX file (raw, or gzip-compressed if the name ends in ``.gz``).

    Parameters
    ----------
    file : str or path-like
        The file to read.

    Returns
    -------
    numpy.ndarray
        A writable, native-endian array with the shape and element type the header
        declares.

    Raises
    ------
    DatasetError
        If the file cannot be read, the gzip stream is corrupt, the magic number is not a
        valid IDX one, or the payload size does not match the declared dimensions.
    """
    path = Path(file)
    raw = _read_file(path)
    payload = _decompress(raw, str(path)) if path.suffix == ".gz" else raw
    return _parse_idx(payload, str(path))


# ------------------------------------------------------------------------- verification


def _as_checksum(value: str | Checksum) -> Checksum:
    return value if isinstance(value, Checksum) else Checksum(value)


def _verify(raw: bytes, payload: bytes, is_gz: bool, checksum: Checksum, source: str) -> None:
    if checksum.compressed:
        if not is_gz:
            warnings.warn(
                f"{source}: not verified: the expected {checksum.algorithm} digest is of "
                "the distributed .gz file, but this copy is stored uncompressed; only its "
                "format was checked",
                stacklevel=4,
            )
            return
        data, what = raw, "compressed file"
    else:
        data, what = payload, "decompressed payload"
    found = hashlib.new(checksum.algorithm, data).hexdigest()
    if found != checksum.digest:
        hint = (
            " (this digest is of the .gz file as distributed; a re-compressed copy fails it"
            " even if its content is right: pass checksums=None to check only the format)"
            if checksum.compressed
            else ""
        )
        raise DatasetError(
            f"{source}: checksum mismatch: expected {checksum.algorithm} {checksum.digest} "
            f"of the {what}, found {found}{hint}"
        )


def _load_idx_file(
    raw: bytes,
    is_gz: bool,
    source: str,
    stem: str,
    checksum: Checksum | None,
) -> NDArray[Any]:
    payload = _decompress(raw, source) if is_gz else raw
    ndim = 3 if "images" in stem else 1
    array = _parse_idx(payload, source, expected_ndim=ndim, expected_dtype=np.dtype(np.uint8))
    if checksum is not None:
        _verify(raw, payload, is_gz, checksum, source)
    return array


def _check_labels(labels: NDArray[Any], source: str) -> None:
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DatasetError(
            f"{source}: label out of range: expected values in 0..{NUM_CLASSES - 1}, "
            f"found {int(labels[i])} at index {i} ({bad.size} labels out of range)"
        )


# ---------------------------------------------------------------------------- locating


def _canonical_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    if key == "fashionmnist":
        key = "fashion_mnist"
    if key not in _DATASETS:
        raise ValueError(f"unknown dataset {name!r}: expected one of {sorted(_DATASETS)}")
    return key


def _cache_root() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "autograd_lite"


def _files_in(directory: Path) -> dict[str, Path]:
    """The dataset files present in ``directory``; the raw form wins over ``.gz``."""
    found: dict[str, Path] = {}
    for stem in FILES:
        for candidate in (directory / stem, directory / f"{stem}.gz"):
            if candidate.is_file():
                found[stem] = candidate
                break
    return found


def _candidates(path: str | os.PathLike[str] | None, key: str) -> tuple[list[Path], Path]:
    """Directories to search, in order, and the directory downloads go to."""
    if path is not None:
        root = Path(path).expanduser()
        return [root / key, root], root
    dirs = []
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.append(Path(env).expanduser() / key)
    cache = _cache_root() / key
    dirs.append(cache)
    return dirs, cache


# -------------------------------------------------------------------------- downloading


class _PlainProgress:
    """Fallback progress display on stderr when tqdm is not installed."""

    def __init__(self, desc: str, total: int | None) -> None:
        self.desc, self.total, self.n = desc, total, 0
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        # Redrawing on every chunk would flood slow terminals.
        if self.tty and now - self._last > 0.1:
            self._last = now
            sys.stderr.write(f"\r{self._line()}")
            sys.stderr.flush()

    def _line(self) -> str:
        done = f"{self.n / 1e6:.1f} MB"
        if self.total:
            percent = 100 * self.n // self.total
            return f"{self.desc}: {percent:3d}% ({done} / {self.total / 1e6:.1f} MB)"
        return f"{self.desc}: {done}"

    def close(self) -> None:
        # Without a tty, carriage-return redraws would garble logs: print one final line.
        prefix = "\r" if self.tty else ""
        sys.stderr.write(f"{prefix}{self._line()}\n")
        sys.stderr.flush()


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(desc: str, total: int | None, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    try:
        from tqdm import tqdm
    except ImportError:
        return _PlainProgress(desc, total)
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)


def _fetch(
    url: str,
    dest: Path,
    stem: str,
    checksum: Checksum | None,
    timeout: float,
    progress: bool,
) -> None:
    """Download ``url`` to ``dest`` atomically, keeping it only if it verifies."""
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            bar = _progress_bar(dest.name, total, progress)
            received = 0
            try:
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if total is not None and received != total:
            raise DatasetError(
                f"{url}: truncated download: expected {total} bytes, found {received}"
            )
        # Verify before the file gets its final name, so a bad mirror never leaves a file
        # that a later load would pick up.
        _load_idx_file(tmp.read_bytes(), True, url, stem, checksum)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _download(
    target: Path,
    missing: Sequence[str],
    mirrors: Sequence[str],
    checksums: Mapping[str, Checksum],
    timeout: float,
    progress: bool,
) -> list[str]:
    """Fetch each missing file from the first mirror that serves a valid copy.

    Returns the failures (``"url: reason"``) of files no mirror could provide.
    """
    failures: list[str] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [f"{target}: cannot create directory: {exc.strerror or exc}"]
    # Offline, each attempt can take the whole timeout: a mirror that could not be
    # reached once is not tried again for the remaining files.
    unreachable: set[str] = set()
    for stem in missing:
        attempts: list[str] = []
        for mirror in mirrors:
            url = f"{mirror.rstrip('/')}/{stem}.gz"
            if mirror in unreachable:
                attempts.append(f"{url}: skipped, the mirror was unreachable for an earlier file")
                continue
            try:
                _fetch(url, target / f"{stem}.gz", stem, checksums.get(stem), timeout, progress)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                # DatasetError is a ValueError; urllib's errors are OSErrors.
                reason = str(exc) if isinstance(exc, DatasetError) else f"{url}: {exc}"
                attempts.append(reason)
                if isinstance(exc, TimeoutError) or (
                    isinstance(exc, urllib.error.URLError)
                    and not isinstance(exc, urllib.error.HTTPError)
                ):
                    unreachable.add(mirror)
                continue
            break
        else:
            failures.extend(attempts or [f"{stem}.gz: no mirrors to try"])
    return failures


def _missing_message(
    title: str,
    key: str,
    searched: Sequence[Path],
    target: Path,
    explicit: bool,
    failures: Sequence[str] | None,
) -> str:
    lines = [f"{title} files not found."]
    lines.append("Searched (a directory must hold all four files):")
    for directory in searched:
        have = _files_in(directory)
        if not directory.is_dir():
            state = "does not exist"
        elif not have:
            state = "none of the files"
        else:
            state = "missing: " + ", ".join(s for s in FILES if s not in have)
        lines.append(f"  {directory}  ({state})")
    if failures is None:
        lines.append("Downloading was disabled (download=False).")
    else:
        lines.append("Download failed:")
        lines.extend(f"  {f}" for f in failures)
    lines.append("Put these four files, gzip-compressed (.gz) or raw:")
    lines.extend(f"  {stem}.gz" for stem in FILES)
    if explicit:
        lines.append(f"into {target}  (or {target / key}).")
    else:
        lines.append(f"into {target}")
        env = os.environ.get(ENV_VAR)
        example = Path(env).expanduser() / key if env else Path("/path/to/datasets") / key
        lines.append(
            f"or into {example} with {ENV_VAR}={example.parent} set in the environment, "
            f"or pass path=<directory> to load_mnist."
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ public


def to_float(images: NDArray[Any], *, flatten: bool = False) -> NDArray[np.float32]:
    """Scale uint8 pixel values to float32 in [0, 1].

    Parameters
    ----------
    images : numpy.ndarray
        Pixel values in 0..255, shape (N, H, W).
    flatten : bool, default False
        Return shape (N, H * W) instead of (N, H, W).

    Returns
    -------
    numpy.ndarray
        float32 array.
    """
    out = np.asarray(images, dtype=np.float32) / np.float32(255.0)
    return out.reshape(out.shape[0], -1) if flatten else out


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    name: str = "mnist",
    download: bool = True,
    mirrors: Sequence[str] | None = None,
    checksums: Mapping[str, str | Checksum] | Literal["published"] | None = "published",
    normalize: bool = False,
    flatten: bool = False,
    timeout: float = 30.0,
    progress: bool = True,
) -> MNISTData:
    """Load MNIST or Fashion-MNIST, downloading it if it is not found locally.

    Parameters
    ----------
    path : str or path-like, optional
        Directory holding the four files, or its parent (``path/<name>`` is tried first).
        When given, no other location is searched and downloads go here. When omitted,
        ``$AUTOGRAD_LITE_DATA/<name>`` then the user cache directory are searched.
    name : {"mnist", "fashion_mnist"}
        Dataset; ``"fashion-mnist"`` is accepted too. Both use the same file names.
    download : bool, default True
        Fetch missing files from ``mirrors``. With ``False`` a missing file raises.
    mirrors : sequence of str, optional
        Base URLs tried in order for each file (``<mirror>/<file>.gz``). Defaults to the
        public mirrors of the dataset.
    checksums : mapping, "published" or None, default "published"
        Expected digests per file stem (e.g. ``"train-images-idx3-ubyte"``). A plain
        string is the SHA-256 of the decompressed payload; use :class:`Checksum` for
        anything else. ``"published"`` uses the published values: SHA-256 of the
        decompressed files for MNIST; for Fashion-MNIST only MD5s of the distributed
        ``.gz`` files are published, so raw or re-compressed Fashion-MNIST copies fail or
        (raw) are only format-checked, with a warning. ``None`` skips verification (the
        format is always checked). Stems absent from a mapping are not verified.
    normalize : bool, default False
        Return images as float32 in [0, 1] instead of uint8.
    flatten : bool, default False
        Return images with shape (N, H * W) instead of (N, H, W).
    timeout : float, default 30
        Seconds before a stalled connection to a mirror is abandoned.
    progress : bool, default True
        Show a progress bar on stderr while downloading.

    Returns
    -------
    MNISTData
        ``(train, test)``, each a :class:`Split` of ``(images, labels)``; so
        ``(X_train, y_train), (X_test, y_test) = load_mnist()`` works. Images are
        uint8 (N, 28, 28) unless ``normalize``/``flatten`` say otherwise; labels int64.

    Raises
    ------
    DatasetError
        If the files cannot be found or downloaded (the message lists what was tried and
        where to put the files), or any file is malformed, fails its checksum, has labels
        outside 0..9, or image and label counts differ.
    """
    key = _canonical_name(name)
    info = _DATASETS[key]
    if isinstance(checksums, str):
        if checksums != "published":
            raise ValueError(f"checksums must be a mapping, 'published' or None, not {checksums!r}")
        table: Mapping[str, Checksum] = info.checksums
    elif checksums is None:
        table = {}
    else:
        # A misspelt key (say "train-images-idx3-ubyte.gz") would otherwise silently
        # turn verification off for that file.
        unknown = sorted(set(checksums) - set(FILES))
        if unknown:
            raise ValueError(
                f"checksums has unknown keys {unknown}: expected some of {list(FILES)}"
            )
        table = {stem: _as_checksum(value) for stem, value in checksums.items()}

    searched, target = _candidates(path, key)
    files = next((f for d in searched if len(f := _files_in(d)) == len(FILES)), None)
    if files is None:
        failures: list[str] | None = None
        if download:
            missing = [s for s in FILES if s not in _files_in(target)]
            if mirrors is None:
                mirrors = info.mirrors
            elif isinstance(mirrors, str):
                mirrors = [mirrors]  # a lone URL must not be iterated character by character
            failures = _download(target, missing, mirrors, table, timeout, progress)
            files = _files_in(target)
        if files is None or len(files) != len(FILES):
            raise DatasetError(
                _missing_message(info.title, key, searched, target, path is not None, failures)
            )

    arrays: dict[str, NDArray[Any]] = {}
    for stem in FILES:
        file = files[stem]
        arrays[stem] = _load_idx_file(
            _read_file(file), file.suffix == ".gz", str(file), stem, table.get(stem)
        )

    splits = []
    for images_stem, labels_stem in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        images, labels = arrays[images_stem], arrays[labels_stem]
        if len(images) != len(labels):
            raise DatasetError(
                f"{files[images_stem]} holds {len(images)} images but {files[labels_stem]} "
                f"holds {len(labels)} labels: expected equal counts"
            )
        _check_labels(labels, str(files[labels_stem]))
        out: NDArray[Any] = images
        if normalize:
            out = to_float(out)
        if flatten:
            out = out.reshape(out.shape[0], -1)
        splits.append(Split(out, labels.astype(np.int64)))
    return MNISTData(*splits)
