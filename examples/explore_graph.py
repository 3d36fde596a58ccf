"""The interactive explorer of the two-layer MNIST network, and pictures of it in a browser.

    python examples/explore_graph.py OUT_DIR [--data DIR] [--no-screenshots]

writes ``explorer-mnist.html`` (one backward pass of the network, 784 -> 32 -> 10, on
a batch of 16 MNIST images, or random pixels when MNIST is not found) and
``explorer-compare.html`` (training step 1 beside step 500) into OUT_DIR, then opens
them in headless Chromium and saves what a learner sees: ``explorer-node.png`` (a node
clicked), ``explorer-step3.png`` (three steps into backward), ``explorer-collapsed.png``
(the fc1 module collapsed) and ``explorer-compare.png``. The docs build runs this.

Screenshots need Debian's ``chromium`` and ``chromium-driver`` and ``pip install
selenium``; without them the pages are still written and the reason is printed.
:func:`chromium` and the page helpers below are what the browser tests use too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

import autograd_lite as al
import nn
from nn.models import TwoLayerNet

#: The pictures :func:`main` takes, in order.
SCREENSHOTS = ("explorer-node.png", "explorer-step3.png", "explorer-collapsed.png",
               "explorer-compare.png")

#: How Chromium must start here (as root, offline, nothing in the background).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


# ---- the network ---------------------------------------------------------------------

def mnist_batches(n: int, count: int, data: str | None = None) -> tuple[list, str]:
    """``count`` batches of ``n`` MNIST training images (flattened, in [0, 1]) and labels,
    and where they came from: random pixels and labels (one batch repeated) when the
    files are not found (nothing is downloaded)."""
    from nn.datasets import DatasetError, load_mnist

    rng = np.random.default_rng(0)
    try:
        (X, y), _ = load_mnist(data, download=False, normalize=True, flatten=True, progress=False)
    except DatasetError:
        batch = (rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n))
        return [batch] * count, "random pixels"
    i = rng.permutation(len(X))[:n * count].reshape(count, n)
    return [(X[j], y[j].astype(np.int64)) for j in i], "MNIST"


def traced_step(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[al.Tensor, Any, list]:
    """One forward pass (source lines recorded) and backward (traced) of ``model``;
    returns the loss, the trace and the names for ``params=``."""
    images, labels = al.Tensor(x), al.Tensor(y, dtype=np.int64)
    with al.detect_anomaly(check_nan=False):   # each node remembers the line that made it
        loss = al.cross_entropy(model(images), labels)
    with al.viz.trace() as tr:
        loss.backward()
    return loss, tr, [("", model), ("images", images), ("labels", labels), ("loss", loss)]


def write_pages(out_dir: Path, data: str | None = None) -> tuple[Path, Path, str]:
    """``explorer-mnist.html`` and ``explorer-compare.html`` in ``out_dir``."""
    batches, source = mnist_batches(16, 500, data)
    model = TwoLayerNet(32, generator=np.random.default_rng(0))
    loss, tr, names = traced_step(model, *batches[0])
    first = al.viz.explore(loss, out_dir / "explorer-mnist.html", params=names, grads=tr,
                           label="step 1",
                           title=f"Two-layer network, one backward pass ({source})")
    # 500 steps of SGD on batches of 16; then the same view of step 500, on the first batch.
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    for x, y in batches[1:]:
        opt.zero_grad()
        al.cross_entropy(model(al.Tensor(x)), al.Tensor(y, dtype=np.int64)).backward()
        opt.step()
    opt.zero_grad()
    loss, tr, names = traced_step(model, *batches[0])
    al.viz.explore(loss, out_dir / "explorer-compare.html", params=names, grads=tr,
                   label="step 500", compare=first,
                   title=f"Step 1 and step 500 of training, on the same batch ({source})")
    return out_dir / "explorer-mnist.html", out_dir / "explorer-compare.html", source


# ---- the browser ----------------------------------------------------------------------

def _programs() -> tuple[str | None, str | None]:
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                     "google-chrome"))), None)
    return browser, shutil.which("chromedriver")


def chromium_missing() -> str | None:
    """Why headless Chromium cannot be driven here, or None if it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install selenium)"
    browser, driver = _programs()
    if browser is None or driver is None:
        return ("chromium or chromedriver is not on PATH (Debian: apt-get install chromium "
                "chromium-driver)")
    return None


@contextlib.contextmanager
def chromium(width: int = 1500, height: int = 950) -> Iterator[Any]:
    """A Selenium driver for headless Chromium with a fresh profile, logging the console
    and the network (``goog:loggingPrefs``); quit and its profile removed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = _programs()
    profile = tempfile.mkdtemp(prefix="autograd-lite-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit chromedriver: Selenium Manager (which would go online) is not used.
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver: Any, path: Path, timeout: float = 30.0) -> float:
    """Load ``path`` (logs drained first) and wait until the page says it is ready;
    returns the seconds from the request to ready."""
    driver.get_log("browser")
    driver.get_log("performance")
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    while driver.execute_script("return document.documentElement.dataset.ready") != "1":
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"{path.name} was not ready after {timeout} s")
        time.sleep(0.02)
    return time.perf_counter() - start


def page_problems(driver: Any, path: Path) -> tuple[list[str], list[str]]:
    """Since :func:`open_page`: the URLs requested other than the page itself, and the
    console's errors (uncaught exceptions, failed loads, console.error). Chromium's own
    pages (its new-tab page, loading as it starts) are not the page's requests."""
    own = path.resolve().as_uri()
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url != own and not msg["params"].get("documentURL", "").startswith("chrome://"):
                requests.append(url)
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return requests, errors


def node(driver: Any, drawn_id: str, pane: int = 0) -> Any:
    """The SVG element of drawn node ``drawn_id`` (e.g. ``'n3'``) in pane ``pane``."""
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"p{pane}_{drawn_id}")


def click(driver: Any, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, element_id).click()


def screenshots(mnist: Path, compare: Path, out_dir: Path) -> list[Path]:
    """Open the pages in headless Chromium and save :data:`SCREENSHOTS` in ``out_dir``."""
    from selenium.webdriver.common.by import By

    shots = [out_dir / name for name in SCREENSHOTS]
    with chromium() as driver:
        open_page(driver, mnist)
        relu = driver.execute_script(
            "return [...document.querySelectorAll('g.node')].find("
            "g => g.textContent.trim().startsWith('relu')).id")
        driver.find_element(By.ID, relu).click()
        driver.save_screenshot(str(shots[0]))
        for _ in range(3):
            click(driver, "al-next")
        driver.save_screenshot(str(shots[1]))
        click(driver, "al-first")
        driver.find_element(By.CSS_SELECTOR, "#al-modules-box summary").click()
        driver.find_element(By.XPATH, "//span[text()='fc1: Linear']/preceding-sibling::button").click()
        driver.find_element(By.CSS_SELECTOR, "g.al-cover").click()  # the module's panel
        driver.execute_script("document.getElementById('al-side').scrollTop = 0")
        driver.save_screenshot(str(shots[2]))
        open_page(driver, compare)
        for _ in range(2):
            click(driver, "al-next")
        driver.save_screenshot(str(shots[3]))
    return shots


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", default="docs/img", type=Path,
                        help="directory for the pages and pictures (created if missing)")
    parser.add_argument("--data", help="directory holding mnist/ (default: the usual places)")
    parser.add_argument("--no-screenshots", dest="screenshots", action="store_false",
                        help="write the pages only")
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    mnist, compare, source = write_pages(args.out_dir, args.data)
    written = [mnist, compare]
    print(f"{mnist}\n{compare}\n(batch: {source})")
    missing = chromium_missing()
    if args.screenshots and missing:
        print(f"no screenshots: {missing}")
    elif args.screenshots:
        for shot in screenshots(mnist, compare, args.out_dir):
            print(shot)
            written.append(shot)
    return written


if __name__ == "__main__":
    main()
