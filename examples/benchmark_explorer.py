"""How the explorer scales: a page for a graph of N nodes, its size, and how fast it opens
and answers a click in headless Chromium.

    python examples/benchmark_explorer.py [--nodes 10000] [--repeat 5] [--keep DIR] [--page FILE] [--quick]

The graph is a deep MLP made with nn (blocks of Linear(8, 8) and Tanh, four drawn nodes
per block: weight, bias, linear, tanh) after one traced backward pass. Printed: the time
to build the page's data, to lay it out with Graphviz, the file's size in bytes per node,
and in the browser: from the start of navigation to the page drawn (ready, then the next
painted frame), a click on a node in the middle to its panel on screen (measured inside
the page up to the next painted frame, and through Selenium), and one backward step.
Beside each wall time, the CPU time the page's renderer spent (its main thread, and all
its threads), which a busy machine does not inflate; and the load average. Each of
``--repeat`` runs makes the page and then measures it in a fresh browser; printed are the
medians and the ranges. Nothing is asserted: timings are for reading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


def make_page(nodes: int, out_dir: Path) -> tuple[Path, int, float]:
    """The page of :func:`deep_mlp`'s graph in ``out_dir``: its path, its node count and
    the seconds :func:`explore` took (page data and Graphviz layout)."""
    loss, model, tr = deep_mlp(nodes)
    t = time.perf_counter()
    explorer = al.viz.explore(loss, params=model, grads=tr, max_nodes=None)  # draw them all
    made = time.perf_counter() - t
    return explorer.save(out_dir / f"explorer-{nodes}.html"), explorer.nodes, made


def measure_browser(page: Path, nodes: int) -> dict[str, Any]:
    """One fresh headless Chromium: open ``page``, click a node in the middle, step once."""
    r: dict[str, Any] = {}
    with chromium() as driver:
        driver.execute_cdp_cmd("Performance.enable", {})
        r["open_selenium_s"] = open_page(driver, page, timeout=600)
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
        r["title"] = driver.find_element("css selector", "#al-panel [data-field=title]").text
        r["click_selenium_s"] = time.perf_counter() - t
        t = time.perf_counter()
        driver.find_element("id", "al-next").click()
        r["step_selenium_s"] = time.perf_counter() - t
        requests, errors = page_problems(driver, page)
    r["requests"], r["errors"] = len(requests), len(errors)
    return r


def _spread(values: list[float], fmt: str) -> str:
    """The median of ``values`` and, over several runs, their range."""
    text = format(statistics.median(values), fmt)
    if len(values) > 1:
        text += f" [{min(values):{fmt}} to {max(values):{fmt}}]"
    return text


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000, help="about how many nodes to draw")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs, each making the page then measuring it in a fresh browser "
                             "(interleaved, so a change in the machine's load hits both)")
    parser.add_argument("--keep", type=Path, help="write the page here (default: a temporary dir)")
    parser.add_argument("--page", type=Path,
                        help="measure this page (written by an earlier run) instead of making one")
    parser.add_argument("--quick", action="store_true",
                        help="seconds: --nodes 60 --repeat 2 unless given (check it runs, ignore "
                             "the figures)")
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(nodes=60, repeat=2)
        args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="explorer-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = chromium_missing()
    runs: list[dict[str, Any]] = []
    for k in range(args.repeat):
        run: dict[str, Any] = {"load_average": os.getloadavg()[0]}
        if args.page:
            page = args.page
            nodes = page.read_text(encoding="utf-8").count('class="node"')
        else:
            print(f"run {k + 1}/{args.repeat}: making the page of about {args.nodes} nodes...",
                  flush=True)
            page, nodes, run["build_and_layout_s"] = make_page(args.nodes, out_dir)
        run.update(nodes=nodes, bytes=page.stat().st_size)
        if not missing:
            print(f"run {k + 1}/{args.repeat}: opening it in headless Chromium...", flush=True)
            run.update(measure_browser(page, nodes))
        run["load_average"] = max(run["load_average"], os.getloadavg()[0])
        runs.append(run)

    def figures(key: str) -> list[float]:
        return [run[key] for run in runs]

    r: dict[str, Any] = {"runs": runs, "nodes": nodes, "bytes": runs[-1]["bytes"]}
    r["bytes_per_node"] = r["bytes"] / nodes
    loads = figures("load_average")
    print(f"{len(runs)} runs; medians [ranges]; load average (1 min) {min(loads):.1f} to "
          f"{max(loads):.1f} on {os.cpu_count()} cores")
    print(f"{page}: {nodes} nodes")
    if not args.page:
        r["build_and_layout_s"] = statistics.median(figures("build_and_layout_s"))
        print(f"explore(): {_spread(figures('build_and_layout_s'), '.1f')} s "
              f"(page data and Graphviz layout)")
    print(f"file: {r['bytes'] / 1e6:.1f} MB = {r['bytes_per_node']:.0f} bytes per node")
    if missing:
        print(f"no browser timings: {missing}")
        return r
    for key in ("open_selenium_s", "open_s", "open_cpu_main_s", "open_cpu_all_s", "click_paint_ms",
                "click_cpu_main_ms", "click_cpu_all_ms", "click_selenium_s", "step_selenium_s"):
        r[key] = statistics.median(figures(key))
    both = [run["open_s"] + run["click_paint_ms"] / 1000 for run in runs]
    r["open_and_click_s"] = statistics.median(both)
    r["requests"], r["errors"] = sum(figures("requests")), sum(figures("errors"))
    print(f"browser: drawn {_spread(figures('open_s'), '.2f')} s after navigation started "
          f"({_spread(figures('open_selenium_s'), '.2f')} s from Selenium's request to ready; "
          f"renderer CPU {_spread(figures('open_cpu_main_s'), '.2f')} s main thread, "
          f"{_spread(figures('open_cpu_all_s'), '.2f')} s all threads)")
    print(f"a click on n{nodes // 2} ({runs[-1]['title'].split()[0]}) painted its panel in "
          f"{_spread(figures('click_paint_ms'), '.0f')} ms (CPU "
          f"{_spread(figures('click_cpu_main_ms'), '.0f')} ms main, "
          f"{_spread(figures('click_cpu_all_ms'), '.0f')} ms all; "
          f"{_spread(figures('click_selenium_s'), '.2f')} s through Selenium)")
    print(f"open and click: {_spread(both, '.2f')} s (target: within 2 s); one backward step "
          f"{_spread(figures('step_selenium_s'), '.2f')} s through Selenium; "
          f"{r['requests']} network requests, {r['errors']} console errors")
    return r


if __name__ == "__main__":
    main()
