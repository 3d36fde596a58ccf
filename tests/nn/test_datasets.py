"""Tests for nn.datasets: IDX parsing, verification, search order and downloading.

Everything runs on small IDX files generated here; downloads go to a local HTTP server on
127.0.0.1. The real MNIST is loaded only if it is already on disk.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn import _atomic
from nn.datasets import mnist as mnist_mod
from nn.datasets import (
    FILES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    Checksum,
    DatasetError,
    MNISTData,
    load_mnist,
    read_idx,
    to_float,
)

# Read before any test fixture rewrites the environment.
_ENV_DATA = os.environ.get("AUTOGRAD_LITE_DATA")
_FASHION_SYSTEM_DIRS = mnist_mod._DATASETS["fashion_mnist"].system_dirs


# ----------------------------------------------------------------------------- helpers

_TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX, independently of the code under test."""
    code = _TYPE_CODES[array.dtype]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclasses.dataclass
class FakeSet:
    """A generated four-file dataset: arrays, IDX payloads and their checksums."""

    arrays: dict[str, np.ndarray]
    payloads: dict[str, bytes]

    @property
    def checksums(self) -> dict[str, str]:
        return {stem: sha256(p) for stem, p in self.payloads.items()}

    def gz(self, stem: str) -> bytes:
        return gzip.compress(self.payloads[stem], mtime=0)

    def write(
        self, directory: Path, *, compress: bool = True, only: tuple[str, ...] = FILES
    ) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        for stem in only:
            if compress:
                (directory / f"{stem}.gz").write_bytes(self.gz(stem))
            else:
                (directory / stem).write_bytes(self.payloads[stem])
        return directory


def make_set(
    seed: int = 0, n_train: int = 5, n_test: int = 3, hw: tuple[int, int] = (3, 4)
) -> FakeSet:
    rng = np.random.default_rng(seed)
    arrays = {
        TRAIN_IMAGES: rng.integers(0, 256, (n_train, *hw), dtype=np.uint8),
        TRAIN_LABELS: rng.integers(0, 10, n_train, dtype=np.uint8),
        TEST_IMAGES: rng.integers(0, 256, (n_test, *hw), dtype=np.uint8),
        TEST_LABELS: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return FakeSet(arrays, {stem: idx_bytes(a) for stem, a in arrays.items()})


def assert_matches(data: MNISTData, fake: FakeSet) -> None:
    np.testing.assert_array_equal(data.train.images, fake.arrays[TRAIN_IMAGES])
    np.testing.assert_array_equal(data.train.labels, fake.arrays[TRAIN_LABELS])
    np.testing.assert_array_equal(data.test.images, fake.arrays[TEST_IMAGES])
    np.testing.assert_array_equal(data.test.labels, fake.arrays[TEST_LABELS])


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens, so connecting fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def leftovers(directory: Path) -> list[str]:
    names = (p.name for p in directory.iterdir())
    return sorted(n for n in names if n.endswith(".part") or n.startswith("."))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private HOME and cache, no AUTOGRAD_LITE_DATA, no system directories (Debian's
    /usr/share/datasets), and default mirrors that are dead, so no test can read the
    user's files or reach the internet by accident."""
    monkeypatch.delenv("AUTOGRAD_LITE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    dead = (closed_port_url(),)
    for key, info in list(mnist_mod._DATASETS.items()):
        monkeypatch.setitem(mnist_mod._DATASETS, key,
                            dataclasses.replace(info, mirrors=dead, system_dirs=()))
    return tmp_path


# ------------------------------------------------------------------------ IDX round trip


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.sampled_from(sorted(_TYPE_CODES, key=str)),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
    ),
    compress=st.booleans(),
)
def test_read_idx_round_trips_every_idx_type(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("x.idx.gz" if compress else "x.idx")
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    out = read_idx(path)
    assert out.shape == array.shape
    assert out.dtype == array.dtype
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, array)
    out[...] = 0  # writable


@pytest.mark.parametrize("first", [b"\x01\x00", b"\x00\x01", b"\x80\x80"])
def test_read_idx_requires_the_two_leading_zero_bytes(tmp_path, first):
    # The rest of the header is valid (uint8, 1 dimension of 3): only the zeros are wrong.
    good = idx_bytes(np.array([1, 2, 3], dtype=np.uint8))
    path = tmp_path / "x.idx"
    path.write_bytes(first + good[2:])
    found = f"0x{int.from_bytes(first + good[2:4], 'big'):08X}"
    with pytest.raises(DatasetError, match=rf"bad IDX magic number: expected 0x0000TTNN.*found {found}"):
        read_idx(path)
    path.write_bytes(good)
    assert read_idx(path).tolist() == [1, 2, 3]


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_load_round_trip(tmp_path, compress):
    fake = make_set()
    fake.write(tmp_path / "d", compress=compress)
    data = load_mnist(tmp_path / "d", checksums=fake.checksums, download=False)
    assert_matches(data, fake)
    assert data.train.images.dtype == np.uint8
    assert data.train.labels.dtype == np.int64
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (5, 3, 4) and y_train.shape == (5,)
    assert x_test.shape == (3, 3, 4) and y_test.shape == (3,)


def test_mixed_raw_and_gz_files_and_raw_preferred(tmp_path):
    fake, other = make_set(0), make_set(1)
    d = tmp_path / "d"
    fake.write(d, compress=False, only=(TRAIN_IMAGES, TEST_LABELS))
    fake.write(d, compress=True, only=(TRAIN_LABELS, TEST_IMAGES))
    # A stale .gz beside a raw file is ignored: the raw file is read.
    other.write(d, compress=True, only=(TRAIN_IMAGES,))
    assert_matches(load_mnist(d, checksums=fake.checksums, download=False), fake)


def test_checksum_objects_and_partial_mapping(tmp_path):
    fake = make_set()
    fake.write(tmp_path)
    sums = {
        TRAIN_IMAGES: Checksum(hashlib.md5(fake.payloads[TRAIN_IMAGES]).hexdigest(), "md5"),
        TEST_LABELS: Checksum(
            hashlib.sha1(fake.gz(TEST_LABELS)).hexdigest(), "sha1", compressed=True
        ),
        TRAIN_LABELS: fake.checksums[TRAIN_LABELS].upper(),
    }  # TEST_IMAGES absent: not verified
    assert_matches(load_mnist(tmp_path, checksums=sums, download=False), fake)


def test_normalize_and_flatten(tmp_path):
    fake = make_set()
    fake.write(tmp_path)
    data = load_mnist(tmp_path, checksums=None, normalize=True, flatten=True, download=False)
    x = data.train.images
    assert x.dtype == np.float32 and x.shape == (5, 12)
    np.testing.assert_allclose(x, fake.arrays[TRAIN_IMAGES].reshape(5, 12) / 255.0, rtol=1e-6)
    flat = load_mnist(tmp_path, checksums=None, flatten=True, download=False)
    assert flat.test.images.dtype == np.uint8 and flat.test.images.shape == (3, 12)


def test_to_float():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = to_float(images)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    np.testing.assert_allclose(out, [[[0.0, 1.0], [0.2, 0.4]]], rtol=1e-6)
    assert to_float(images, flatten=True).shape == (1, 4)


def test_unknown_name_and_bad_checksums_argument(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'"):
        load_mnist(tmp_path, name="cifar10")
    with pytest.raises(ValueError, match="checksums must be"):
        load_mnist(tmp_path, checksums="sha256")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown keys \['train-images-idx3-ubyte.gz'\]"):
        load_mnist(tmp_path, checksums={f"{TRAIN_IMAGES}.gz": "00"})
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        Checksum("00", "nope")


# --------------------------------------------------------------------------- error paths


def _header(code: int, ndim: int, *dims: int) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, ndim) + struct.pack(f">{len(dims)}I", *dims)


def _corrupt_crc(gz: bytes) -> bytes:
    # The last 8 bytes are CRC32 and size; flipping the CRC keeps the stream decodable.
    return gz[:-8] + bytes([gz[-8] ^ 0xFF]) + gz[-7:]


# Each case: (file to damage, its new content, fragments the message must contain).
ERROR_CASES = {
    "bad magic": (
        TRAIN_IMAGES,
        lambda f: b"<htm" + f.payloads[TRAIN_IMAGES][4:],
        ["bad IDX magic", "expected 0x00000803", "found 0x3C68746D"],
    ),
    # Type and dimension bytes right, but the two bytes IDX requires to be zero are not.
    "first magic byte not zero": (
        TRAIN_IMAGES,
        lambda f: b"\x01" + f.payloads[TRAIN_IMAGES][1:],
        ["bad IDX magic", "expected 0x00000803", "found 0x01000803"],
    ),
    "second magic byte not zero": (
        TRAIN_LABELS,
        lambda f: b"\x00\x08" + f.payloads[TRAIN_LABELS][2:],
        ["bad IDX magic", "expected 0x00000801", "found 0x00080801"],
    ),
    "not idx at all": (
        TRAIN_LABELS,
        lambda f: b"\x00\x00\x08",
        ["too short", "at least 4", "found 3"],
    ),
    "wrong dim count": (
        TRAIN_IMAGES,
        lambda f: idx_bytes(f.arrays[TRAIN_IMAGES].reshape(5, 12)),
        ["number of dimensions", "expected 3", "found 2"],
    ),
    "labels with 2 dims": (
        TEST_LABELS,
        lambda f: idx_bytes(f.arrays[TEST_LABELS].reshape(3, 1)),
        ["number of dimensions", "expected 1", "found 2"],
    ),
    "wrong element type": (
        TRAIN_IMAGES,
        lambda f: idx_bytes(f.arrays[TRAIN_IMAGES].astype(np.int16)),
        ["element type", "expected uint8", "found int16"],
    ),
    "truncated header": (
        TEST_IMAGES,
        lambda f: _header(0x08, 3, 3, 3),
        ["truncated IDX header", "expected 16", "found 12"],
    ),
    "truncated payload": (
        TEST_IMAGES,
        lambda f: f.payloads[TEST_IMAGES][:-5],
        ["truncated payload", "(3, 3, 4)", "need 52 bytes", "found 47"],
    ),
    "trailing bytes": (
        TRAIN_LABELS,
        lambda f: f.payloads[TRAIN_LABELS] + b"\x00\x01",
        ["trailing bytes", "need 13 bytes", "found 15"],
    ),
    "label out of range": (
        TRAIN_LABELS,
        lambda f: idx_bytes(np.array([1, 2, 10, 11, 3], dtype=np.uint8)),
        ["label out of range", "0..9", "found 10 at index 2", "2 labels"],
    ),
    "count mismatch": (
        TEST_LABELS,
        lambda f: idx_bytes(np.array([1, 2], dtype=np.uint8)),
        ["3 images", "2 labels", "expected equal counts", TEST_IMAGES],
    ),
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_format_errors_name_the_file(tmp_path, case, compress):
    stem, damage, fragments = ERROR_CASES[case]
    fake = make_set()
    fake.write(tmp_path, compress=compress)
    bad = damage(fake)
    target = tmp_path / (f"{stem}.gz" if compress else stem)
    target.write_bytes(gzip.compress(bad) if compress else bad)
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path, checksums=None, download=False)
    message = str(info.value)
    assert str(target) in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (_corrupt_crc, "CRC check failed"),
        (lambda gz: gz[: len(gz) // 2], "EOFError"),
        (lambda gz: b"PK\x03\x04" + gz[4:], "Not a gzipped file"),
        (lambda gz: gz[:10] + bytes(b ^ 0x5A for b in gz[10:-8]) + gz[-8:], "corrupt gzip"),
    ],
    ids=["bad crc", "truncated stream", "not gzip", "damaged deflate"],
)
def test_corrupt_gzip_is_a_dataset_error(tmp_path, damage, fragment):
    fake = make_set()
    fake.write(tmp_path)
    target = tmp_path / f"{TRAIN_IMAGES}.gz"
    target.write_bytes(damage(target.read_bytes()))
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path, checksums=None, download=False)
    message = str(info.value)
    assert str(target) in message and "corrupt gzip" in message and fragment in message


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_checksum_mismatch_names_file_and_both_digests(tmp_path, compress):
    fake = make_set()
    fake.write(tmp_path, compress=compress)
    sums = fake.checksums
    wrong = "ab" * 32
    sums[TEST_IMAGES] = wrong
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path, checksums=sums, download=False)
    message = str(info.value)
    target = tmp_path / (f"{TEST_IMAGES}.gz" if compress else TEST_IMAGES)
    assert str(target) in message
    assert "checksum mismatch" in message
    assert wrong in message and fake.checksums[TEST_IMAGES] in message


def test_default_checksums_reject_non_mnist_content(tmp_path):
    fake = make_set()
    fake.write(tmp_path / "mnist")
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path, download=False)
    message = str(info.value)
    assert "checksum mismatch" in message
    assert mnist_mod._MNIST_SHA256[TRAIN_IMAGES] in message
    assert str(tmp_path / "mnist" / f"{TRAIN_IMAGES}.gz") in message


def test_unreadable_file_is_a_dataset_error(tmp_path):
    fake = make_set()
    fake.write(tmp_path)
    # A directory where a file should be: caught by the search, so make it fail later.
    (tmp_path / f"{TRAIN_LABELS}.gz").unlink()
    (tmp_path / TRAIN_LABELS).mkdir()
    with pytest.raises(DatasetError, match="none of the files|missing: train-labels"):
        load_mnist(tmp_path, checksums=None, download=False)
    with pytest.raises(DatasetError, match=r"cannot read file"):
        read_idx(tmp_path / TRAIN_LABELS)


# ---------------------------------------------------------------------- Fashion-MNIST


def test_fashion_mnist_selected_by_name(tmp_path):
    mnist, fashion = make_set(0), make_set(1)
    mnist.write(tmp_path / "mnist")
    fashion.write(tmp_path / "fashion_mnist")
    for name in ("fashion_mnist", "fashion-mnist", "Fashion-MNIST", "FashionMNIST"):
        assert_matches(load_mnist(tmp_path, name=name, checksums=None, download=False), fashion)
    assert_matches(load_mnist(tmp_path, checksums=None, download=False), mnist)


def test_fashion_mnist_published_checksums_are_of_the_decompressed_files(tmp_path):
    fake = make_set()
    fake.write(tmp_path / "fashion_mnist")
    with pytest.raises(DatasetError) as info:
        load_mnist(tmp_path, name="fashion_mnist", download=False)
    message = str(info.value)
    assert "sha256" in message and mnist_mod._FASHION_SHA256[TRAIN_IMAGES] in message
    assert "decompressed payload" in message


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_fashion_mnist_verifies_raw_and_recompressed_copies(tmp_path, monkeypatch, compress):
    """Debian re-compresses the .gz files: the content's digest still holds."""
    fake = make_set()
    info = mnist_mod._DATASETS["fashion_mnist"]
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion_mnist", dataclasses.replace(
        info, checksums={k: Checksum(v) for k, v in fake.checksums.items()}))
    fake.write(tmp_path / "fashion-mnist", compress=compress)   # Debian's directory name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches(load_mnist(tmp_path, name="fashion_mnist", download=False), fake)


def test_the_wrong_dataset_is_named(tmp_path, monkeypatch):
    mnist, fashion = make_set(0), make_set(1)
    for key, fake in (("mnist", mnist), ("fashion_mnist", fashion)):
        monkeypatch.setitem(mnist_mod._DATASETS, key, dataclasses.replace(
            mnist_mod._DATASETS[key], checksums={k: Checksum(v) for k, v in fake.checksums.items()}))
    mnist.write(tmp_path / "digits")
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz is MNIST's "
                                           r"train-images-idx3-ubyte, not Fashion-MNIST's: this "
                                           r"directory holds the wrong dataset"):
        load_mnist(tmp_path / "digits", name="fashion-mnist", download=False)
    fashion.write(tmp_path / "clothes", compress=False)
    with pytest.raises(DatasetError, match=r"is Fashion-MNIST's .* not MNIST's"):
        load_mnist(tmp_path / "clothes", download=False)
    make_set(2).write(tmp_path / "other")  # neither: the plain mismatch
    with pytest.raises(DatasetError, match=r"checksum mismatch"):
        load_mnist(tmp_path / "other", download=False)


def test_debians_fashion_mnist_directory_is_searched(tmp_path, monkeypatch):
    fake = make_set()
    info = mnist_mod._DATASETS["fashion_mnist"]
    system = tmp_path / "usr" / "share" / "datasets" / "fashion-mnist"
    fake.write(system)
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion_mnist", dataclasses.replace(
        info, system_dirs=(str(system),)))
    assert_matches(load_mnist(name="fashion-mnist", checksums=fake.checksums, download=False), fake)


# -------------------------------------------------------------------------- search order


def test_search_order_explicit_then_env_then_cache(tmp_path, monkeypatch):
    explicit, env, xdg, home = make_set(1), make_set(2), make_set(3), make_set(4)
    explicit.write(tmp_path / "explicit" / "mnist")
    env.write(tmp_path / "env" / "mnist")
    xdg.write(tmp_path / "xdg" / "autograd_lite" / "mnist")
    home.write(tmp_path / "home" / ".cache" / "autograd_lite" / "mnist")
    kw = {"checksums": None, "download": False}

    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "env"))
    assert_matches(load_mnist(tmp_path / "explicit", **kw), explicit)
    assert_matches(load_mnist(**kw), env)
    monkeypatch.delenv("AUTOGRAD_LITE_DATA")
    assert_matches(load_mnist(**kw), xdg)
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert_matches(load_mnist(**kw), home)


def test_incomplete_directories_are_skipped(tmp_path, monkeypatch):
    env, cache = make_set(1), make_set(2)
    env.write(tmp_path / "env" / "mnist", only=FILES[:3])
    cache.write(tmp_path / "xdg" / "autograd_lite" / "mnist")
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "env"))
    assert_matches(load_mnist(checksums=None, download=False), cache)


def test_explicit_path_may_hold_the_files_directly(tmp_path):
    fake = make_set()
    fake.write(tmp_path / "flat")
    assert_matches(load_mnist(tmp_path / "flat", checksums=None, download=False), fake)
    assert_matches(load_mnist(str(tmp_path / "flat"), checksums=None, download=False), fake)


def test_explicit_path_is_not_silently_replaced_by_other_locations(tmp_path, monkeypatch):
    make_set().write(tmp_path / "env" / "mnist")
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetError, match="not found"):
        load_mnist(tmp_path / "empty", checksums=None, download=False)


def test_relative_xdg_cache_home_is_ignored(tmp_path, monkeypatch):
    fake = make_set()
    fake.write(tmp_path / "home" / ".cache" / "autograd_lite" / "mnist")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert_matches(load_mnist(checksums=None, download=False), fake)


def test_missing_files_message_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRAD_LITE_DATA", str(tmp_path / "env"))
    with pytest.raises(DatasetError) as info:
        load_mnist(download=False)
    message = str(info.value)
    cache = tmp_path / "xdg" / "autograd_lite" / "mnist"
    assert str(tmp_path / "env" / "mnist") in message
    assert str(cache) in message
    assert "AUTOGRAD_LITE_DATA" in message
    assert "download=False" in message
    for stem in FILES:
        assert f"{stem}.gz" in message


# ----------------------------------------------------------------------------- download


class _Server:
    """A local HTTP server: ``routes`` maps a URL path to a body, or to
    ``(body, declared_length)`` to send a lying Content-Length."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes | tuple[bytes, int]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                server.requests.append(self.path)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                body, length = route if isinstance(route, tuple) else (route, len(route))
                self.send_response(200)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval keeps shutdown() (once per test) from costing 0.5 s.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def serve(self, prefix: str, fake: FakeSet, only: tuple[str, ...] = FILES) -> str:
        for stem in only:
            self.routes[f"{prefix}{stem}.gz"] = fake.gz(stem)
        return f"{self.url}{prefix}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


CACHE = ("xdg", "autograd_lite", "mnist")


def test_download_skips_dead_mirrors_and_writes_atomically(tmp_path, server, monkeypatch, capsys):
    fake = make_set()
    good = server.serve("/good/", fake)
    replaced: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((Path(src), Path(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", spy)
    mirrors = [closed_port_url(), f"{server.url}/missing/", good]
    data = load_mnist(mirrors=mirrors, checksums=fake.checksums, timeout=5)
    assert_matches(data, fake)

    cache = tmp_path.joinpath(*CACHE)
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{s}.gz" for s in FILES)
    for stem in FILES:
        assert (cache / f"{stem}.gz").read_bytes() == fake.gz(stem)
    # Every file was written under a temporary name in the same directory, then renamed.
    assert sorted(dst.name for _, dst in replaced) == sorted(f"{s}.gz" for s in FILES)
    for src, dst in replaced:
        assert src.parent == dst.parent == cache and src.name.endswith(".part")
    assert f"/missing/{TRAIN_IMAGES}.gz" in server.requests
    assert f"{TRAIN_IMAGES}.gz" in capsys.readouterr().err  # progress line

    # Second load: found in the cache, no network.
    count = len(server.requests)
    assert_matches(load_mnist(mirrors=[good], checksums=fake.checksums), fake)
    assert len(server.requests) == count


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda fake, stem: _corrupt_crc(fake.gz(stem)),
        lambda fake, stem: b"<html>Service unavailable</html>",
        lambda fake, stem: gzip.compress(fake.payloads[stem][:-1]),
        lambda fake, stem: make_set(9).gz(stem),  # well-formed but the wrong content
        lambda fake, stem: (fake.gz(stem), len(fake.gz(stem)) + 100),  # connection cut short
    ],
    ids=["bad crc", "html page", "truncated idx", "wrong checksum", "short body"],
)
def test_corrupt_mirror_is_rejected_and_next_one_used(tmp_path, server, corrupt):
    fake = make_set()
    for stem in FILES:
        server.routes[f"/bad/{stem}.gz"] = corrupt(fake, stem)
    good = server.serve("/good/", fake)
    data = load_mnist(mirrors=[f"{server.url}/bad", good], checksums=fake.checksums, progress=False)
    assert_matches(data, fake)
    cache = tmp_path.joinpath(*CACHE)
    assert leftovers(cache) == []
    for stem in FILES:
        assert (cache / f"{stem}.gz").read_bytes() == fake.gz(stem)
        assert server.requests.count(f"/bad/{stem}.gz") == 1


def test_all_mirrors_failing_says_where_to_put_the_files(tmp_path, server):
    fake = make_set()
    for stem in FILES:
        server.routes[f"/bad/{stem}.gz"] = _corrupt_crc(fake.gz(stem))
    dead = closed_port_url()
    mirrors = [dead, f"{server.url}/bad/", f"{server.url}/nothing/"]
    with pytest.raises(DatasetError) as info:
        load_mnist(mirrors=mirrors, checksums=fake.checksums, progress=False, timeout=5)
    message = str(info.value)
    cache = tmp_path.joinpath(*CACHE)
    for stem in FILES:
        assert f"{dead}{stem}.gz" in message
        assert f"{server.url}/bad/{stem}.gz" in message
        assert f"{server.url}/nothing/{stem}.gz" in message
        assert f"{stem}.gz" in message
    assert "CRC check failed" in message and "404" in message
    # The unreachable mirror is tried once, not once per file.
    assert message.count(dead) == 4
    assert message.count("skipped, the mirror was unreachable") == 3
    assert f"into {cache}" in message
    assert "AUTOGRAD_LITE_DATA" in message
    assert list(cache.iterdir()) == []  # nothing half-written was kept


def test_only_missing_files_are_downloaded(tmp_path, server):
    fake = make_set()
    cache = tmp_path.joinpath(*CACHE)
    fake.write(cache, compress=False, only=(TRAIN_IMAGES, TRAIN_LABELS))
    good = server.serve("/good/", fake)
    assert_matches(load_mnist(mirrors=[good], checksums=fake.checksums, progress=False), fake)
    assert sorted(server.requests) == sorted(f"/good/{s}.gz" for s in (TEST_IMAGES, TEST_LABELS))


def test_download_goes_to_explicit_path(tmp_path, server):
    fake = make_set()
    good = server.serve("/good/", fake)
    target = tmp_path / "mine"
    data = load_mnist(target, mirrors=good, checksums=fake.checksums, progress=False)
    assert_matches(data, fake)
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{s}.gz" for s in FILES)
    assert not tmp_path.joinpath(*CACHE).exists()


def test_progress_bar_uses_tqdm_when_installed(server, monkeypatch, capsys):
    fake = make_set()
    good = server.serve("/good/", fake)
    bars: list[dict] = []

    class FakeTqdm:
        def __init__(self, **kwargs):
            self.record = dict(kwargs, n=0, closed=False)
            bars.append(self.record)

        def update(self, n):
            self.record["n"] += n

        def close(self):
            self.record["closed"] = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    load_mnist(mirrors=[good], checksums=fake.checksums)
    assert [b["desc"] for b in bars] == [f"{s}.gz" for s in FILES]
    for bar, stem in zip(bars, FILES):
        assert bar["total"] == bar["n"] == len(fake.gz(stem)) and bar["closed"]
    assert capsys.readouterr().err == ""  # no plain progress line as well


def test_no_progress_output_when_disabled(server, capsys):
    fake = make_set()
    load_mnist(mirrors=[server.serve("/good/", fake)], checksums=fake.checksums, progress=False)
    assert capsys.readouterr().err == ""


def test_default_mirrors_are_used_in_order(tmp_path, server, monkeypatch):
    fake = make_set()
    good = server.serve("/good/", fake)
    info = mnist_mod._DATASETS["fashion_mnist"]
    mirrors = (closed_port_url(), good)
    monkeypatch.setitem(
        mnist_mod._DATASETS, "fashion_mnist", dataclasses.replace(info, mirrors=mirrors)
    )
    data = load_mnist(name="fashion-mnist", checksums=fake.checksums, progress=False)
    assert_matches(data, fake)
    assert (tmp_path / "xdg" / "autograd_lite" / "fashion_mnist" / f"{TRAIN_IMAGES}.gz").is_file()


def test_download_verifies_a_digest_of_the_gz_file(tmp_path, server, monkeypatch):
    """A Checksum(compressed=True) (an MD5 of the .gz as distributed): a download
    matching it is kept."""
    fake = make_set()
    good = server.serve("/good/", fake)
    md5s = {
        stem: Checksum(hashlib.md5(fake.gz(stem)).hexdigest(), "md5", compressed=True)
        for stem in FILES
    }
    info = mnist_mod._DATASETS["fashion_mnist"]
    replaced = dataclasses.replace(info, checksums=md5s, mirrors=(good,))
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion_mnist", replaced)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches(load_mnist(name="fashion_mnist", progress=False), fake)


# ---------------------------------------------------------------------------- real data


def _real_mnist_dir() -> Path | None:
    candidates = []
    if _ENV_DATA:
        candidates.append(Path(_ENV_DATA) / "mnist")
    repo = Path(__file__).resolve().parents[2]
    # CI checks the repository out beside shared/.
    candidates.append(repo.parent / "shared" / "datasets" / "mnist")
    for c in candidates:
        if all((c / f"{s}.gz").is_file() or (c / s).is_file() for s in FILES):
            return c
    return None


@pytest.fixture(scope="module")
def real_mnist() -> MNISTData:
    directory = _real_mnist_dir()
    if directory is None:
        pytest.skip("real MNIST files not found (set AUTOGRAD_LITE_DATA)")
    # Found through the environment variable, the way users are told to set it up.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTOGRAD_LITE_DATA", str(directory.parent))
        mp.setenv("XDG_CACHE_HOME", str(directory / "no-such-cache"))
        return load_mnist(download=False)  # published checksums verified


def test_real_mnist(real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert y_train.min() == 0 and y_train.max() == 9
    assert set(np.unique(y_test).tolist()) == set(range(10))
    assert x_train.max() == 255 and x_train.min() == 0
    # Well-known facts about the canonical files.
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train).tolist()[1] == 6742


def test_real_fashion_mnist_from_debians_package(monkeypatch):
    """Debian's dataset-fashion-mnist (re-compressed .gz files: their MD5s are not the
    published ones) is found where the package installs it and verifies by content."""
    if not any((Path(d) / f"{TRAIN_IMAGES}.gz").is_file() for d in _FASHION_SYSTEM_DIRS):
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    info = mnist_mod._DATASETS["fashion_mnist"]
    monkeypatch.setitem(mnist_mod._DATASETS, "fashion_mnist",
                        dataclasses.replace(info, system_dirs=_FASHION_SYSTEM_DIRS))
    (x_train, y_train), (x_test, y_test) = load_mnist(name="fashion-mnist", download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]  # ankle boot, T-shirt, T-shirt, dress, T-shirt
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]
