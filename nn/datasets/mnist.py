"""MNIST and Fashion-MNIST: where their files are looked for, and :func:`load_mnist`.

The search order and the download are described in :mod:`nn.datasets`.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .download import Checksum, _as_checksum, _download, _load_idx_file
from .idx import DatasetError, _read_file

__all__ = ["MNISTData", "Split", "load_mnist", "to_float"]

ENV_VAR = "AUTOGRAD_LITE_DATA"

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
FILES: tuple[str, ...] = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

NUM_CLASSES = 10


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
    #: Other names of its directory under a data root (``fashion-mnist``).
    aliases: tuple[str, ...] = ()
    #: Where system packages install it, searched after $AUTOGRAD_LITE_DATA.
    system_dirs: tuple[str, ...] = ()


# SHA-256 of the decompressed files: unlike the MD5s of the original .gz files, these
# stay valid for copies that were re-compressed with different gzip settings.
_MNIST_SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Fashion-MNIST publishes MD5s of its .gz files only (zalandoresearch/fashion-mnist
# README, "Get the Data"), and Debian's dataset-fashion-mnist package re-compresses
# them, so those no longer match. These SHA-256s are of the decompressed files (the
# published .gz files decompressed; Debian's copies give the same), valid for any copy.
_FASHION_SHA256 = {
    TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
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
        checksums={k: Checksum(v) for k, v in _FASHION_SHA256.items()},
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        aliases=("fashion-mnist",),
        system_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian's dataset-fashion-mnist
    ),
}

def _check_labels(labels: NDArray[Any], source: str) -> None:
    bad = np.flatnonzero(labels >= NUM_CLASSES)
    if bad.size:
        i = int(bad[0])
        raise DatasetError(
            f"{source}: label out of range: expected values in 0..{NUM_CLASSES - 1}, "
            f"found {int(labels[i])} at index {i} ({bad.size} labels out of range)"
        )


def _other_dataset(raw: bytes, is_gz: bool, stem: str, key: str) -> str | None:
    """The title of the other dataset whose ``stem`` file ``raw`` is, if any (a file
    that failed its checksum: the user pointed at the wrong dataset)."""
    try:
        payload = gzip.decompress(raw) if is_gz else raw
    except (OSError, EOFError, zlib.error):  # corrupt: not any dataset's
        return None
    digest = hashlib.sha256(payload).hexdigest()
    for other, info in _DATASETS.items():
        c = info.checksums.get(stem)
        if other != key and c is not None and not c.compressed and c.digest == digest:
            return info.title
    return None


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
    names = (key, *_DATASETS[key].aliases)
    if path is not None:
        root = Path(path).expanduser()
        return [*(root / n for n in names), root], root
    dirs = []
    env = os.environ.get(ENV_VAR)
    if env:
        dirs.extend(Path(env).expanduser() / n for n in names)
    dirs.extend(Path(d) for d in _DATASETS[key].system_dirs)
    cache = _cache_root() / key
    dirs.append(cache)
    return dirs, cache


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
        Directory holding the four files, or its parent (``path/<name>`` is tried first;
        for Fashion-MNIST ``path/fashion_mnist`` then ``path/fashion-mnist``). When given,
        no other location is searched and downloads go here. When omitted,
        ``$AUTOGRAD_LITE_DATA/<name>``, then (Fashion-MNIST) Debian's
        ``/usr/share/datasets/fashion-mnist``, then the user cache directory are searched.
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
        anything else. ``"published"`` uses the SHA-256 of the decompressed files of
        the published datasets, so raw and re-compressed copies (Debian's) verify too; a
        file that is the other dataset's is named as such. ``None`` skips verification
        (the format is always checked). Stems absent from a mapping are not verified.
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
        raw = _read_file(file)
        try:
            arrays[stem] = _load_idx_file(raw, file.suffix == ".gz", str(file), stem,
                                          table.get(stem))
        except DatasetError as e:
            other = _other_dataset(raw, file.suffix == ".gz", stem, key)
            if other is None:
                raise
            raise DatasetError(
                f"{file} is {other}'s {stem}, not {info.title}'s: this directory holds the "
                f"wrong dataset for name={name!r} (pass the {info.title} directory, or ask "
                f"for name={other.lower()!r})") from e

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
