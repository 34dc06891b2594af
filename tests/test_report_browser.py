"""The report in a real headless Chromium (Debian's `chromium`, installed by scripts/setup.sh)
at desktop (1440 px) and phone (390 px, mobile emulation: the viewport meta tag counts as on
a phone) widths: no horizontal overflow, no console error or uncaught exception, the map's
zoom, layers and shading work, and nothing is fetched from outside the file. Screenshots are
kept as test artefacts in test-artifacts/ (REGIONOMIE_TEST_ARTIFACTS moves them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from chromium import Chromium, chromium_binary
from test_exports import tables

from regionomie.domain.opportunities.demo import demo_kb
from regionomie.domain.parsers import parse_file
from regionomie.flow import FlowConfig, run_region
from regionomie.paths import REPO_ROOT, SAMPLE_DIR

ARTIFACTS = Path(os.environ.get("REGIONOMIE_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))

OVERFLOW = """(() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.table'))
    .slice(0, 5)
    .map(el => el.tagName + ' ' + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, inner: window.innerWidth, wide};
})()"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report of a small region in Dutch and English, with the sample's PDOK outlines."""
    pdok = next((SAMPLE_DIR / "municipal").glob("pdok_*.geojson"))
    municipalities = parse_file(pdok, "municipal")["municipalities"].rows
    out = {}
    for lang in ("nl", "en"):
        root = tmp_path_factory.mktemp(f"report-{lang}")
        data = {**tables(), "municipalities": municipalities}
        done = run_region(
            "regio-amersfoort", data, demo_kb(), "2026-11-28",
            FlowConfig(exports_root=root, lang=lang),
        )  # fmt: skip
        out[lang] = done.paths["html"]
    return out


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium is missing: scripts/setup.sh installs it (apt-get install chromium)")
    with Chromium(binary) as page:
        yield page


@pytest.mark.parametrize(
    ("lang", "width"), [("nl", 1440), ("nl", 390), ("en", 390)], ids=["nl-1440", "nl-390", "en-390"]
)
def test_report_fits_the_screen_without_console_errors(reports, browser, lang, width) -> None:
    browser.errors.clear()
    browser.load(reports[lang].resolve().as_uri(), width)
    shot = browser.screenshot(ARTIFACTS / f"report-{lang}-{width}.png")
    assert shot.stat().st_size > 10_000
    metrics = browser.evaluate(OVERFLOW)
    assert metrics["inner"] == width, metrics  # the viewport meta tag is honoured
    assert metrics["scroll"] <= metrics["width"], f"horizontal overflow at {width}px: {metrics}"
    assert browser.errors == []
    assert browser.evaluate("document.documentElement.lang") == lang
    # nothing but the file itself was loaded
    resources = browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []


def test_map_zooms_switches_layers_and_shades(reports, browser) -> None:
    browser.errors.clear()
    browser.load(reports["nl"].resolve().as_uri(), 1440)
    before = browser.evaluate("document.getElementById('map').getAttribute('viewBox')")
    browser.evaluate("document.getElementById('zoom-in').click()")
    after = browser.evaluate("document.getElementById('map').getAttribute('viewBox')")
    assert float(after.split()[2]) < float(before.split()[2])  # narrower: zoomed in
    assert browser.evaluate("document.getElementById('scale-label').textContent").endswith("km")
    browser.evaluate("document.getElementById('zoom-reset').click()")
    assert browser.evaluate("document.getElementById('map').getAttribute('viewBox')") == before
    outlines = browser.evaluate("document.querySelectorAll('#outlines path.mun').length")
    assert outlines == 10  # every municipality of the region, from the PDOK outlines
    fills = browser.evaluate("[...document.querySelectorAll('.mun')].map(p => p.style.fill)")
    assert all(fill.startswith("rgb(") for fill in fills)
    options = browser.evaluate("[...document.getElementById('shade').options].map(o => o.value)")
    browser.evaluate(
        f"const s = document.getElementById('shade'); s.value = {options[-1]!r};"
        "s.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate("[...document.querySelectorAll('.mun')].map(p => p.style.fill)")
    browser.evaluate("const b = document.querySelector('input[data-layer]'); b.click()")
    assert (
        browser.evaluate(
            "document.getElementById(document.querySelector('input[data-layer]')"
            ".getAttribute('data-layer')).style.display"
        )
        == "none"
    )
    assert browser.errors == []
