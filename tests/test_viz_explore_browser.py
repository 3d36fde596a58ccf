"""The explorer page in a real browser: headless Chromium driven by Selenium.

Open the two-layer MNIST network's page, click a node and read its panel against the
engine, step backward and check the highlighted nodes follow the engine's order, collapse
a module, search a parameter, compare two snapshots, open it inside a notebook's frame,
and check that no page made a network request or logged a JavaScript error. Screenshots
go to tests/_screenshots/ (or $AUTOGRAD_LITE_SCREENSHOTS); the path is printed.

Skipped without Graphviz, Chromium, chromedriver or selenium (CI installs them all).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as al

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("explore_graph", ROOT / "examples" / "explore_graph.py")
eg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(eg)

if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)
if eg.chromium_missing():
    pytest.skip(eg.chromium_missing(), allow_module_level=True)

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

SHOTS = Path(os.environ.get("AUTOGRAD_LITE_SCREENSHOTS", ROOT / "tests" / "_screenshots"))


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SHOTS}")
    with eg.chromium() as driver:
        yield driver


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def opened(driver, path: Path) -> None:
    """Open ``path`` and check it made no network request and logged no error."""
    eg.open_page(driver, path)
    assert_clean(driver, path)


def assert_clean(driver, path: Path) -> None:
    requests, errors = eg.page_problems(driver, path)
    assert requests == [], f"the page requested {requests}"
    assert errors == [], f"the page logged {errors}"


def text(driver, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def ids(driver, css: str) -> set[str]:
    return {e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, css)}


class Net:
    """The two-layer network after one traced backward pass, its page, and what the
    engine did, seen through an independent backward hook."""

    def __init__(self, directory: Path, seed: int = 0, scale: float = 1.0, label: str = "") -> None:
        from nn.models import TwoLayerNet

        rng = np.random.default_rng(seed)
        self.model = TwoLayerNet(16, generator=rng)
        for p in self.model.parameters():
            p.data *= np.float32(scale)
        x = al.Tensor(rng.random((8, 784), dtype=np.float32))
        y = al.Tensor(rng.integers(0, 10, 8), dtype=np.int64)
        with al.detect_anomaly(check_nan=False):
            self.loss = al.cross_entropy(self.model(x), y)
        self.order, self.grads = [], {}

        def hook(node, g, dxs):
            self.order.append(node)
            self.grads[node] = float(np.linalg.norm(g))
        with al.viz.trace() as self.trace, al.hooks.register_backward_hook(hook):
            self.loss.backward()
        self.names = [("", self.model), ("images", x), ("labels", y)]
        self.page = al.viz.explore(self.loss, params=self.names, grads=self.trace, label=label)
        self.graph = al.viz.draw(self.loss, params=self.names)  # the same drawing: its ids
        self.path = self.page.save(directory / f"mnist{seed}.html")

    def id_of(self, label: str) -> str:
        return self.graph.node(label).id

    def order_ids(self) -> list[str]:
        """The drawn ids of the nodes backward visited, in the engine's order."""
        ops = [n for n in self.graph.nodes if n.kind == "op"]
        by_node = dict(zip(al.toposort([self.loss.node])[::-1], ops))  # draw walks inputs first
        return [by_node[node].id for node in self.order]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return Net(tmp_path_factory.mktemp("explorer"))


# ---- the tests ---------------------------------------------------------------------------

def test_the_check_for_requests_and_errors_catches_both(browser, tmp_path):
    """A page that loads an image and throws: page_problems must see both (or the other
    tests' 'no request, no error' would prove nothing)."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="http://127.0.0.1:9/x.png"><script>'
                   'document.documentElement.dataset.ready = "1"; undefinedFunction();'
                   '</script></body></html>')
    eg.open_page(browser, bad)
    requests, errors = eg.page_problems(browser, bad)
    assert requests == ["http://127.0.0.1:9/x.png"]
    assert any("undefinedFunction is not defined" in e for e in errors)


def test_click_a_node_and_read_its_panel(browser, net):
    opened(browser, net.path)
    shot(browser, "01-opened")
    weight = net.id_of("fc2.weight")
    browser.find_element(By.ID, f"p0_{weight}").click()
    assert text(browser, "#al-panel [data-field=title]").startswith("fc2.weight")
    assert text(browser, "#al-panel [data-field=shape]") == "(10, 16) float32"
    shown = float(text(browser, "#al-panel [data-field=grad-norm]"))
    assert shown == pytest.approx(float(np.linalg.norm(net.model.fc2.weight.grad)), rel=1e-5)
    assert text(browser, "#al-panel [data-field=grad-status]") == "in range"

    relu = net.id_of("relu")
    browser.find_element(By.ID, f"p0_{relu}").click()
    relu_node = next(n for n in net.order if n.op.name == "relu")
    assert float(text(browser, "#al-panel [data-field=grad-norm]")) == pytest.approx(
        net.grads[relu_node], rel=1e-5)
    assert float(text(browser, "#al-panel [data-field=value-min]")) == 0.0
    assert text(browser, "#al-panel [data-field=vjp]") == "dx = g * [x > 0]"
    assert re.search(r"twolayer\.py:\d+ forward", text(browser, "#al-panel [data-field=where]"))
    assert browser.find_elements(By.CSS_SELECTOR, "#al-panel svg.al-hist rect")  # the histogram
    ring = browser.find_element(By.CSS_SELECTOR, "rect.al-ring")
    assert ring.is_displayed()
    width = float(browser.find_element(By.CSS_SELECTOR, "svg.al-graph").get_attribute("width"))
    browser.find_element(By.ID, "al-zoom-in").click()
    assert float(browser.find_element(By.CSS_SELECTOR, "svg.al-graph").get_attribute("width")) == \
        pytest.approx(1.25 * width)
    browser.find_element(By.ID, "al-zoom-out").click()
    shot(browser, "02-clicked-relu")

    ActionChains(browser).move_to_element(browser.find_element(By.ID, f"p0_{weight}")).perform()
    card = browser.find_element(By.ID, "al-card")
    assert card.is_displayed() and card.text.startswith("fc2.weight (10, 16) float32")
    assert_clean(browser, net.path)


def test_stepping_follows_the_engines_order(browser, net):
    opened(browser, net.path)
    expected = net.order_ids()
    assert len(expected) == 4  # cross_entropy, fc2's linear, relu, fc1's linear
    next_button = browser.find_element(By.ID, "al-next")
    for k in range(3):
        next_button.click()
        assert ids(browser, "g.node.al-current") == {f"p0_{expected[k]}"}
        assert ids(browser, "g.node.al-visited") == {f"p0_{i}" for i in expected[:k + 1]}
        assert text(browser, "#al-step-text").startswith(f"step {k + 1} / 4")
        # The panel follows: the current node's cotangent, as the engine computed it.
        step_grad = float(text(browser, "#al-step-panel [data-field=step-grad]"))
        assert step_grad == pytest.approx(net.grads[net.order[k]], rel=1e-5)
        # The edges lit are those into the current node that carry a gradient.
        lit = ids(browser, "g.edge.al-flow")
        into = {f"p0_e{j}" for j, e in enumerate(net.graph.edges) if e.dst == expected[k] and e.grad}
        assert lit == into
    # Step 2 (fc2's linear) added to fc2's parameters: the table shows their .grad now.
    def grad_now(name):
        return text(browser, f"#al-leaves tr[data-node='{net.id_of(name)}'] td[data-pane='0']")

    assert float(grad_now("fc2.bias")) == pytest.approx(float(np.linalg.norm(net.model.fc2.bias.grad)), rel=1e-5)
    assert grad_now("fc1.weight") == "\u2014"  # not reached yet
    shot(browser, "03-three-steps")
    browser.find_element(By.ID, "al-prev").click()
    assert ids(browser, "g.node.al-current") == {f"p0_{expected[1]}"}
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert ids(browser, "g.node.al-current") == {f"p0_{expected[3]}"}
    assert float(grad_now("fc1.weight")) == pytest.approx(float(np.linalg.norm(net.model.fc1.weight.grad)), rel=1e-5)
    browser.find_element(By.ID, "al-first").click()
    assert ids(browser, "g.node.al-visited, g.edge.al-flowed, g.edge.al-flow") == set()
    # Play at 20 steps a second runs to the end and stops.
    Select(browser.find_element(By.ID, "al-speed")).select_by_value("20")
    browser.find_element(By.ID, "al-play").click()
    for _ in range(100):
        if text(browser, "#al-play") == "\u25B6":
            break
        time.sleep(0.05)
    assert text(browser, "#al-step-text").startswith("step 4 / 4")
    assert ids(browser, "g.node.al-visited") == {f"p0_{i}" for i in expected}
    assert_clean(browser, net.path)


def test_collapse_and_expand_a_module(browser, net):
    opened(browser, net.path)
    inside = [net.id_of(name) for name in ("fc1.weight", "fc1.bias")]
    browser.find_element(By.CSS_SELECTOR, "#al-modules-box summary").click()
    browser.find_element(By.XPATH, "//span[text()='fc1: Linear']/preceding-sibling::button").click()
    for i in inside:
        assert not browser.find_elements(By.ID, f"p0_{i}")  # taken out of the drawing
    cover = browser.find_element(By.CSS_SELECTOR, "g.al-cover")
    assert cover.text.splitlines()[:2] == ["fc1: Linear", "1 op, 2 params"]
    cover.click()
    assert text(browser, "#al-panel [data-field=title]").startswith("fc1: Linear")
    shot(browser, "04-collapsed-fc1")
    ActionChains(browser).double_click(cover).perform()
    assert not browser.find_elements(By.CSS_SELECTOR, "g.al-cover")
    for i in inside:
        assert browser.find_element(By.ID, f"p0_{i}").is_displayed()
    assert_clean(browser, net.path)


def test_search_a_parameter(browser, net):
    opened(browser, net.path)
    box = browser.find_element(By.ID, "al-search")
    box.send_keys("fc2.w")
    assert text(browser, "#al-search-count") == "1 of 1"
    assert ids(browser, "g.node.al-match") == {f"p0_{net.id_of('fc2.weight')}"}
    assert text(browser, "#al-panel [data-field=title]").startswith("fc2.weight")
    box.clear()
    box.send_keys("bias")
    assert text(browser, "#al-search-count") == "1 of 2"
    box.send_keys(Keys.ENTER)
    assert text(browser, "#al-search-count") == "2 of 2"
    assert text(browser, "#al-panel [data-field=title]").startswith("fc2.bias")
    shot(browser, "05-search-bias")
    box.clear()
    box.send_keys("nope")
    assert text(browser, "#al-search-count") == "no match"
    assert ids(browser, "g.node.al-match") == set()
    assert_clean(browser, net.path)


def test_two_snapshots_side_by_side(browser, net, tmp_path):
    other = Net(tmp_path, seed=0, scale=30.0, label="weights x 30")
    page = al.viz.explore(other.loss, params=other.names, grads=other.trace, label="weights x 30",
                          compare=al.viz.explore(net.loss, params=net.names, grads=net.trace, label="as made"))
    path = page.save(tmp_path / "compare.html")
    opened(browser, path)
    weight = net.id_of("fc1.weight")
    browser.find_element(By.ID, f"p1_{weight}").click()
    left, right = (float(browser.find_element(
        By.CSS_SELECTOR, f"#al-panel [data-pane='{i}'] [data-field=grad-norm]").text) for i in (0, 1))
    assert left == pytest.approx(float(np.linalg.norm(net.model.fc1.weight.grad)), rel=1e-5)
    assert right == pytest.approx(float(np.linalg.norm(other.model.fc1.weight.grad)), rel=1e-5)
    assert ids(browser, "g.node.al-current") == set()
    browser.find_element(By.ID, "al-next").click()
    first = net.order_ids()[0]
    assert ids(browser, "g.node.al-current") == {f"p0_{first}", f"p1_{first}"}
    shot(browser, "06-compare")
    assert_clean(browser, path)


def test_flags_and_colours_of_bad_gradients(browser, tmp_path):
    x = al.tensor([0.0, 4.0], requires_grad=True)
    with al.scope("block"):
        loss = (al.sqrt(x) * 1e-9).sum()
    with al.viz.trace() as tr:
        loss.backward()
    path = al.viz.explore(loss, params={"x": x}, grads=tr).save(tmp_path / "bad.html")
    opened(browser, path)
    graph = al.viz.draw(loss, params={"x": x}, grads=tr)
    leaf = graph.node("x").id
    fill = browser.find_element(By.CSS_SELECTOR, f"#p0_{leaf} > polygon").get_attribute("fill")
    assert fill == al.viz.STATUS_COLORS["nonfinite"]
    assert text(browser, "#al-legend [data-status=nonfinite]") == "NaN/Inf: 1"
    browser.find_element(By.CSS_SELECTOR, "#al-flags-box summary").click()
    flags = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#al-flags li")]
    assert "x: nonfinite" in flags and "sqrt: vanishing" in flags
    browser.find_element(By.CSS_SELECTOR, f"#al-flags li[data-node='{leaf}']").click()
    assert text(browser, "#al-panel [data-field=grad-status]") == "NaN/Inf"
    assert text(browser, "#al-panel [data-field=grad-norm]") == "Infinity"
    shot(browser, "07-flags")
    assert_clean(browser, path)


def test_panel_params_gradient_summary_small_values_and_a_hooked_leaf(browser, tmp_path):
    """What the MNIST page's panel tests leave out: an op's params, a gradient's min, max
    and mean, the values of a small array, an exploding gradient flagged, and a leaf
    whose hook replaces its gradient showing, once stepped past, what its .grad got."""
    x = al.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    x.register_hook(lambda g: g * np.float32(1e4))
    with al.scope("block"):
        h = (x * 3.0).sum(axis=0)
    loss = h.sum()
    with al.viz.trace() as tr:
        loss.backward()
    assert x.grad.tolist() == [[3e4, 3e4], [3e4, 3e4]]
    path = al.viz.explore(loss, params={"x": x, "h": h}, grads=tr).save(tmp_path / "small.html")
    graph = al.viz.draw(loss, params={"x": x, "h": h}, grads=tr)
    opened(browser, path)
    browser.find_element(By.ID, f"p0_{graph.node('h = sum').id}").click()
    assert text(browser, "#al-panel [data-field=op]") == "sum"
    assert text(browser, "#al-panel [data-field=params]") == "axis=0, keepdims=False"
    browser.find_element(By.ID, f"p0_{graph.node('x').id}").click()
    for field, want in (("grad-norm", 6e4), ("grad-min", 3e4), ("grad-max", 3e4), ("grad-mean", 3e4)):
        assert float(text(browser, f"#al-panel [data-field={field}]")) == want, field
    assert text(browser, "#al-panel [data-field=grad-status]") == "exploding"
    values = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#al-panel .al-values")]
    assert values == ["values: [1, -2, 3, 4]", "values: [30000, 30000, 30000, 30000]"]
    browser.find_element(By.CSS_SELECTOR, "#al-flags-box summary").click()
    assert "x: exploding" in [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#al-flags li")]
    # Backward's last step sends to x: the table then shows what the hook made of it.
    row = f"#al-leaves tr[data-node='{graph.node('x').id}'] td[data-pane='0']"
    for _ in range(3):
        browser.find_element(By.ID, "al-next").click()
    assert float(text(browser, row)) == pytest.approx(6e4)
    shot(browser, "09-hooked-leaf")
    assert_clean(browser, path)


def test_a_big_graph_keeps_only_what_is_on_screen(browser, tmp_path):
    import nn

    layers = [m for _ in range(100) for m in (nn.Linear(4, 4), nn.Tanh())]
    model = nn.Sequential(*layers)
    loss = (model(al.Tensor(np.ones((2, 4), np.float32))) ** 2).mean()
    with al.viz.trace() as tr:
        loss.backward()
    page = al.viz.explore(loss, params=model, grads=tr)
    path = page.save(tmp_path / "big.html")
    opened(browser, path)
    drawn = len(browser.find_elements(By.CSS_SELECTOR, "g.node"))
    assert 0 < drawn < page.nodes / 3  # of 403: those near the screen only
    last = al.viz.draw(loss, params=model).node("mean").id
    assert not browser.find_elements(By.ID, f"p0_{last}")
    browser.find_element(By.ID, "al-next").click()  # step 1 is the loss: scrolled to, drawn
    assert ids(browser, "g.node.al-current") == {f"p0_{last}"}
    browser.find_element(By.ID, "al-search").send_keys("0.weight")
    assert text(browser, "#al-panel [data-field=title]").startswith("0.weight")
    assert browser.find_element(By.ID, f"p0_{al.viz.draw(loss, params=model).node('0.weight').id}").is_displayed()
    assert_clean(browser, path)


def test_a_graph_drawn_by_modules(browser, tmp_path):
    import nn

    model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(5)])
    loss = (model(al.Tensor(np.ones((2, 4), np.float32))) ** 2).mean()
    with al.viz.trace() as tr:
        loss.backward()
    path = al.viz.explore(loss, params=model, grads=tr, max_nodes=10).save(tmp_path / "boxes.html")
    opened(browser, path)
    box = browser.find_element(By.XPATH, "//*[name()='g'][contains(@class, 'node')][.//*[text()='2: Sequential']]")
    box.click()
    assert text(browser, "#al-panel [data-field=title]").startswith("2: Sequential")
    assert "collapsed module" in text(browser, "#al-panel")
    assert "2.0.weight, 2.0.bias" in text(browser, "#al-panel")
    assert_clean(browser, path)


def test_inline_in_a_notebook_frame(browser, net, tmp_path):
    host = tmp_path / "notebook.html"
    host.write_text("<html><body><h1>a notebook</h1>" + net.page._repr_html_() +
                    "<script>document.documentElement.dataset.ready = '1'</script></body></html>")
    eg.open_page(browser, host)
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    try:
        for _ in range(200):  # the frame loads after its host
            if browser.execute_script("return document.documentElement.dataset.ready") == "1":
                break
            time.sleep(0.05)
        node = browser.find_element(By.ID, f"p0_{net.id_of('fc1.bias')}")
        # The click as an event: under load Chromium computed the frame's pointer position
        # for this node off by the frame's offset and hit the background (CI, twice); the
        # other tests click with the pointer, this one checks the page works in a frame.
        browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                               node)
        assert text(browser, "#al-panel [data-field=shape]") == "(16,) float32"
    finally:
        browser.switch_to.default_content()
    shot(browser, "08-notebook-frame")
    assert_clean(browser, host)
