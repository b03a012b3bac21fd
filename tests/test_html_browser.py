"""The HTML report in a real browser: headless Chromium draws it (not blank, diagrams coloured) without a console error."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gosupr.pipeline import run_reduce
from gosupr.report.html import reduce_html
from gosupr.report.reduce_render import headline_text

ROOT = Path(__file__).resolve().parents[1]
MEMO = ROOT / "examples" / "logs" / "memo_approval.xes"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REMOVABLE_FILL = (0xFD, 0xE0, 0xDD)  # the pale red inside a step that can go (report/svg.py)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: `apt-get install chromium` (.ci/run installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless run with its own throwaway profile, no network chatter, page console on stderr."""
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0", *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=240, env=env)


def console_messages(stderr: str) -> list[str]:
    """What the page wrote to its console (errors, CSP refusals, uncaught exceptions)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp("html")
    res = run_reduce(MEMO, tmp / "to-be.bpmn", noise=0.2)
    page = tmp / "report.html"
    page.write_text(reduce_html(res, "ru"), encoding="utf-8")
    return page, headline_text(res.reduction, "ru")


def test_screenshot_is_not_blank_and_console_is_clean(report, tmp_path):
    from PIL import Image

    page, _ = report
    png = tmp_path / "shot.png"
    r = chromium(tmp_path, f"--screenshot={png}", "--window-size=1400,2000", page.as_uri())
    assert png.is_file(), r.stderr[-2000:]
    assert console_messages(r.stderr) == []
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape == (2000, 1400, 3)
    non_white = (img < 245).any(axis=2).mean()
    assert non_white > 0.05, f"only {non_white:.1%} of the page is drawn"
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert colours > 100, f"only {colours} colours"
    # the inline SVG diagram was drawn with its highlights: steps that can go are filled pale red
    assert (img == REMOVABLE_FILL).all(axis=2).sum() > 500


def test_the_browser_parses_the_whole_page(report, tmp_path):
    page, headline = report
    r = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert headline in dom
    assert dom.count("<svg") == 4  # two diagrams, two charts
    assert "</footer>" in dom and "<script" not in dom
    assert console_messages(r.stderr) == []


def test_console_check_catches_page_errors(tmp_path):
    """The console check above can fail: a page that errors and fetches is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>x</p>'
        '<script>console.error("broken"); missing();</script></body></html>',
        encoding="utf-8",
    )
    r = chromium(tmp_path, "--dump-dom", bad.as_uri())
    found = console_messages(r.stderr)
    assert any("broken" in m for m in found) and any("Uncaught" in m for m in found), r.stderr[-2000:]
