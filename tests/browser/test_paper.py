"""The flyer for letterboxes is one A4 page in every language, printed by Chromium with the fonts
a Debian machine has by default (DejaVu). The PDFs go to artifacts/paper/; poppler's ``pdfinfo``
counts their pages."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from hub import i18n
from tests.admin.conftest import PASSWORD
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

PAPER = Path(__file__).resolve().parents[2] / "artifacts" / "paper"


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert found, info
    return int(found[1])


def page_size_mm(pdf: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    assert found, info
    return round(float(found[1]) * 25.4 / 72), round(float(found[2]) * 25.4 / 72)


@pytest.fixture(scope="module")
def coordinator(browser: Browser, hub_live: LiveServer) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{hub_live.url}/admin/login")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{hub_live.url}/admin")
    yield page
    context.close()


def print_to_pdf(page: Page, url: str, pdf: Path) -> Path:
    page.goto(url)
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    return pdf


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_flyer_is_one_a4_page(coordinator: Page, hub_live: LiveServer, lang: str) -> None:
    PAPER.mkdir(parents=True, exist_ok=True)
    url = f"{hub_live.url}/admin/print/flyer?lang={lang}"
    pdf = print_to_pdf(coordinator, url, PAPER / f"flyer-{lang}.pdf")
    assert coordinator.locator("html").get_attribute("lang") == lang
    assert page_size_mm(pdf) == (210, 297)
    assert pdf_pages(pdf) == 1


def test_the_page_count_can_fail(coordinator: Page, hub_live: LiveServer) -> None:
    """The flyer printed twice over is two pages: the count is real."""
    PAPER.mkdir(parents=True, exist_ok=True)
    coordinator.goto(f"{hub_live.url}/admin/print/flyer?lang=nl")
    coordinator.evaluate("(main => { main.innerHTML += main.innerHTML })(document.querySelector('main'))")
    coordinator.pdf(path=str(PAPER / "flyer-twice.pdf"), prefer_css_page_size=True)
    assert pdf_pages(PAPER / "flyer-twice.pdf") == 2
