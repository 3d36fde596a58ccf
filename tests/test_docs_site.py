"""What a reader of the built docs gets: code that pastes, lines that show.

* Every doctest session (a ``pycon`` block, in a page or a docstring) carries its
  code alone in ``data-copy`` (docs/hooks.py), which Material's copy button copies:
  it pastes into a plain ``python`` REPL and into a script, and runs.
* In headless Chromium: clicking the copy button copies exactly that, other blocks
  are copied as shown, and no code block in any page is wider than its box (long
  lines wrap; nothing hides behind a scrollbar).
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from docs_site import ROOT, built_site

COPY = re.compile(r'<code data-copy="([^"]*)"')
PYCON = '<div class="language-pycon highlight">'


def _hooks():
    spec = importlib.util.spec_from_file_location("_docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def _site() -> Path:
    site, log, returncode = built_site()
    assert returncode == 0, log
    return site


def _copies(page: Path) -> list[str]:
    return [html.unescape(c) for c in COPY.findall(page.read_text(encoding="utf-8"))]


def test_session_code_drops_prompts_and_output_and_keeps_it_runnable():
    session = (">>> import math\n"
               ">>> def area(r):\n"
               "...     return math.pi * r ** 2\n"
               ">>> round(area(1.0), 2)\n"
               "3.14\n"
               ">>> area('x')\n"
               "Traceback (most recent call last):\n"
               "    ...\n"
               "TypeError: can't multiply sequence by non-int of type 'float'\n"
               ">>> for k in range(2):\n"
               "...     print(k)\n"
               "0\n"
               "1\n")
    assert _hooks().session_code(session) == (
        "import math\n"
        "def area(r):\n"
        "    return math.pi * r ** 2\n"
        "\n"                                   # a plain REPL needs it to end the def
        "round(area(1.0), 2)\n"
        "# area('x')  # raises TypeError\n"    # a script would stop here
        "for k in range(2):\n"
        "    print(k)\n")


def test_every_doctest_session_in_the_site_has_code_to_copy():
    pages = sorted(_site().rglob("*.html"))
    sessions = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        copies = _copies(page)
        assert len(copies) == text.count(PYCON), f"{page}: a pycon block without data-copy"
        for code in copies:
            compile(code, f"copy of a block in {page}", "exec")
            assert not re.search(r"^(>>>|\.\.\.)( |$)", code, re.M), code
        sessions += len(copies)
    print(f"{sessions} doctest sessions in {len(pages)} pages have code to copy")
    assert sessions > 50


@pytest.mark.parametrize("how", ["repl", "script"])
@pytest.mark.parametrize("page", ["how-it-works", "debugging"])  # tracebacks; def/for/with blocks
def test_a_pages_copied_blocks_run_in_a_plain_repl_and_as_a_script(page, how, tmp_path):
    """Each block's copy, pasted in order, runs without an error: into ``python -i``
    reading stdin (the plain REPL's rules: a compound statement ends at a blank line),
    or as one script. The copy button trims the end of a block: after pasting one, a
    reader presses Enter, twice if it ends inside a block (as after any REPL paste)."""
    copies = _copies(_site() / page / "index.html")
    assert copies
    text = "".join(code.rstrip() + "\n\n" for code in copies)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    if how == "repl":
        proc = subprocess.run([sys.executable, "-i", "-q"], input=text + "\n", cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        errors = re.sub(r"(>>> |\.\.\. )", "", proc.stderr).strip()
    else:
        (tmp_path / "pasted.py").write_text(text)
        proc = subprocess.run([sys.executable, "pasted.py"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        errors = proc.stderr.strip() if proc.returncode else ""
    assert errors == "", errors


# --- in a browser -----------------------------------------------------------------------------

def _chrome(width: int):
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    opts = Options()
    opts.binary_location = browser
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tempfile.mkdtemp(prefix='autograd-lite-chromium-')}",
                f"--window-size={width},900"):
        opts.add_argument(arg)
    return webdriver.Chrome(options=opts, service=Service(driver))


#: Records what each copy puts on the clipboard: clipboard.js selects a textarea
#: holding the text and runs the copy command.
RECORD_COPIES = """
window.copied = [];
document.addEventListener('copy', () => {
  const a = document.activeElement;
  window.copied.push(a && a.value !== undefined
    ? a.value.substring(a.selectionStart, a.selectionEnd) : String(window.getSelection()));
});"""


def test_the_copy_button_copies_the_code_without_prompts_or_output():
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page = _site() / "quickstart" / "index.html"
    d = _chrome(1280)
    try:
        d.get(page.as_uri())
        d.execute_script(RECORD_COPIES)
        blocks = d.find_elements(By.CSS_SELECTOR, "div.highlight")
        langs = [b.get_attribute("class").split()[0] for b in blocks]
        first_pycon, first_bash = langs.index("language-pycon"), langs.index("language-bash")
        order = [first_bash, first_pycon, langs.index("language-pycon", first_pycon + 1)]
        for n, i in enumerate(order, 1):
            d.execute_script("arguments[0].scrollIntoView({block: 'center'})", blocks[i])
            button = blocks[i].find_element(By.CSS_SELECTOR, "button[data-md-type=copy], button.md-clipboard")
            ActionChains(d).move_to_element(blocks[i]).pause(0.2).click(button).perform()
            for _ in range(50):
                if len(d.execute_script("return window.copied")) >= n:
                    break
                time.sleep(0.1)
        copied = d.execute_script("return window.copied")
        shown = blocks[first_bash].find_element(By.TAG_NAME, "code").text
    finally:
        d.quit()
    sessions = _copies(page)
    assert copied == [shown, sessions[0], sessions[1]]
    assert copied[1].startswith("import numpy as np\nimport autograd_lite as al\n"), copied[1]
    assert ">>>" not in copied[1] + copied[2] and "Tensor(" not in copied[1]  # nor output


def test_no_code_block_is_wider_than_its_box():
    """On a desktop, every page; on a phone, the pages with the longest lines."""
    site = _site()
    phone = ["quickstart", "how-it-works", "graphs", "architecture", "adding-an-op"]
    d = _chrome(1280)
    clipped = []
    try:
        for width, pages in [(1280, sorted(site.rglob("index.html"))),
                             (420, [site / name / "index.html" for name in phone])]:
            d.set_window_size(width, 900)
            for page in pages:
                d.get(page.as_uri())
                clipped += [(width, page.relative_to(site).as_posix(), *c) for c in d.execute_script(
                    "return [...document.querySelectorAll('pre > code')]"
                    ".filter(c => c.scrollWidth > c.clientWidth + 1)"
                    ".map(c => [c.scrollWidth, c.clientWidth, c.textContent.slice(0, 80)])")]
    finally:
        d.quit()
    assert clipped == [], f"(window width, page, scrollWidth, clientWidth, text): {clipped[:5]}"
