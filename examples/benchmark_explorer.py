"""How the explorer scales: a page for a graph of N nodes, its size, and how fast it opens
and answers a click in headless Chromium.

    python examples/benchmark_explorer.py [--nodes 10000] [--keep DIR] [--page FILE] [--quick]

The graph is a deep MLP made with nn (blocks of Linear(8, 8) and Tanh, four drawn nodes
per block: weight, bias, linear, tanh) after one traced backward pass. Printed: the time
to build the page's data, to lay it out with Graphviz, the file's size in bytes per node,
and in the browser: from the start of navigation to the page drawn (ready, then the next
painted frame), a click on a node in the middle to its panel on screen (measured inside
the page up to the next painted frame, and through Selenium), and one backward step.
Beside each wall time, the CPU time the page's renderer spent (its main thread, and all
its threads), which a busy machine does not inflate; and the load average. Nothing is
asserted: timings are for reading.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import autograd_lite as al
import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from explore_graph import chromium, chromium_missing, open_page, page_problems  # noqa: E402

_PAINTED = """
const done = arguments[0];
requestAnimationFrame(() => setTimeout(() => done(performance.now()), 0));
"""

_CLICK_AND_PAINT = """
const [el, done] = arguments;
const t0 = performance.now();
el.dispatchEvent(new MouseEvent("click", {bubbles: true}));
requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
"""


def deep_mlp(nodes: int, seed: int = 0) -> tuple[al.Tensor, nn.Module, object]:
    """A loss whose graph draws about ``nodes`` nodes, after a traced backward pass."""
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(max(1, (nodes - 3) // 4)):
        blocks += [nn.Linear(8, 8), nn.Tanh()]
    model = nn.Sequential(*blocks)
    x = al.Tensor(rng.random((4, 8), dtype=np.float32))
    loss = (model(x) ** 2).mean()
    with al.viz.trace() as tr:
        loss.backward()
    return loss, model, tr


def _cpu(driver: object) -> tuple[float, float]:
    m = {x["name"]: x["value"] for x in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
    return m["ThreadTime"], m["ProcessTime"]


def _since(driver: object, before: tuple[float, float]) -> tuple[float, float]:
    """The renderer's CPU seconds since ``before``: its main thread, and all its threads."""
    now = _cpu(driver)
    return now[0] - before[0], now[1] - before[1]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="about how many nodes to draw")
    parser.add_argument("--keep", type=Path, help="write the page here (default: a temporary dir)")
    parser.add_argument("--page", type=Path,
                        help="measure this page (written by an earlier run) instead of making one")
    parser.add_argument("--quick", action="store_true",
                        help="seconds: --nodes 60 unless given (check it runs, ignore the figures)")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(nodes=60)
        args = parser.parse_args(argv)
    if args.page:
        page = args.page
        nodes = page.read_text(encoding="utf-8").count('class="node"')
        r = {"nodes": nodes}
        print(f"{page}: {nodes} nodes")
    else:
        out_dir = args.keep or Path(tempfile.mkdtemp(prefix="explorer-bench-"))
        out_dir.mkdir(parents=True, exist_ok=True)
        page = out_dir / f"explorer-{args.nodes}.html"
        print(f"building and laying out a graph of about {args.nodes} nodes...", flush=True)
        loss, model, tr = deep_mlp(args.nodes)
        t = time.perf_counter()
        explorer = al.viz.explore(loss, params=model, grads=tr, max_nodes=None)
        made = time.perf_counter() - t
        explorer.save(page)
        nodes = explorer.nodes
        r = {"nodes": nodes, "build_and_layout_s": made}
        print(f"{nodes} nodes: explore() {made:.1f} s (data and Graphviz layout)")
    size = page.stat().st_size
    r.update(bytes=size, bytes_per_node=size / nodes)
    print(f"file: {size / 1e6:.1f} MB = {r['bytes_per_node']:.0f} bytes per node")

    missing = chromium_missing()
    if missing:
        print(f"no browser timings: {missing}")
        return r
    print("opening it in headless Chromium...", flush=True)
    with chromium() as driver:
        driver.execute_cdp_cmd("Performance.enable", {})
        open_page(driver, page, timeout=600)
        painted = driver.execute_async_script(_PAINTED)
        r["open_s"] = painted / 1000  # performance.now() counts from the navigation's start
        # A file page gets a renderer process of its own: its CPU time so far is the page's.
        r["open_cpu_main_s"], r["open_cpu_all_s"] = _cpu(driver)
        middle = f"n{nodes // 2}"
        driver.execute_script(f"alExplorer.reveal('{middle}')")  # scrolls there: it is drawn
        driver.execute_async_script(_PAINTED)
        el = driver.find_element("id", f"p0_{middle}")
        cpu = _cpu(driver)
        r["click_paint_ms"] = driver.execute_async_script(_CLICK_AND_PAINT, el)
        r["click_cpu_main_ms"], r["click_cpu_all_ms"] = (1000 * t for t in _since(driver, cpu))
        t = time.perf_counter()
        el.click()
        title = driver.find_element("css selector", "#al-panel [data-field=title]").text
        r["click_selenium_s"] = time.perf_counter() - t
        t = time.perf_counter()
        driver.find_element("id", "al-next").click()
        r["step_selenium_s"] = time.perf_counter() - t
        requests, errors = page_problems(driver, page)
    r["load_average"] = os.getloadavg()[0]
    print(f"browser: drawn {r['open_s']:.2f} s after navigation started (renderer CPU "
          f"{r['open_cpu_main_s']:.2f} s main thread, {r['open_cpu_all_s']:.2f} s all threads); "
          f"a click on {middle} ({title.split()[0]}) painted its panel in "
          f"{r['click_paint_ms']:.0f} ms (CPU {r['click_cpu_main_ms']:.0f} ms main, "
          f"{r['click_cpu_all_ms']:.0f} ms all; {r['click_selenium_s']:.2f} s through Selenium); "
          f"one backward step {r['step_selenium_s']:.2f} s through Selenium; "
          f"{len(requests)} network requests, {len(errors)} console errors "
          f"(load average {r['load_average']:.1f} on {os.cpu_count()} cores)")
    r["requests"], r["errors"] = len(requests), len(errors)
    return r


if __name__ == "__main__":
    main()
