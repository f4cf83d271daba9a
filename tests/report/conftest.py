"""Open a report in real headless Chromium (Debian's ``chromium`` package, driven by Playwright).

No browser is ever downloaded: Playwright launches the system binary through ``executable_path``
(``$AUTOML_CHROMIUM``, else ``chromium`` on PATH, else ``/usr/bin/chromium``). ``.ci/run`` and ``make test``
install it. Without chromium or playwright the browser tests skip, unless ``CI`` is set: then they fail.

What :func:`open_report` records, for the tests to assert on:

* console messages of type ``error`` and uncaught exceptions (``pageerror``);
* every request the page makes other than the page itself and ``data:`` URLs: any of them is a network
  request (an ``<img src=x>``, a CDN script, a web font, a ``fetch``...). The page is opened offline and each
  such request is aborted too, so nothing leaves the machine; websockets are recorded as well;
* every dialog (``alert``, ``confirm``, ``prompt``), dismissed;
* a full-page PNG screenshot.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

VIEWPORT = {"width": 1280, "height": 900}
SETTLE_MS = 300  # after the load event, for late timers, onerror handlers and layout


def chromium_executable() -> str | None:
    """Debian's chromium: ``$AUTOML_CHROMIUM``, ``chromium`` on PATH or ``/usr/bin/chromium``."""
    for candidate in (os.environ.get("AUTOML_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _unavailable(reason: str) -> None:
    """Skip, or fail when ``CI`` is set: CI must really run the browser tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser tests must run (.ci/run installs chromium)")
    pytest.skip(reason)


@dataclass
class BrowserPage:
    """A report opened in Chromium, with everything it did while loading."""

    page: Any  # playwright.sync_api.Page
    url: str
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions together."""
        return [f"console.error: {m}" for m in self.console_errors] + [f"pageerror: {m}" for m in self.page_errors]

    def inner_text(self) -> str:
        """What a reader sees: ``document.body.innerText``."""
        return self.page.evaluate("() => document.body.innerText")

    def text_content(self) -> str:
        """All the body's text, including SVG ``<text>``/``<title>`` and hidden parts."""
        return self.page.evaluate("() => document.body.textContent")

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session."""
    executable = chromium_executable()
    if executable is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def open_report(chromium_browser):
    """``open_report(html_path, screenshot_path)`` -> :class:`BrowserPage`, the page loaded and settled."""
    contexts = []

    def _open(html: str | Path, screenshot: str | Path) -> BrowserPage:
        html = Path(html).resolve()
        url = html.as_uri()
        context = chromium_browser.new_context(viewport=VIEWPORT, offline=True, service_workers="block")
        contexts.append(context)
        page = context.new_page()
        opened = BrowserPage(page=page, url=url, screenshot=Path(screenshot))

        def is_page_itself(request_url: str) -> bool:
            return request_url.split("#", 1)[0] == url

        def on_request(request) -> None:
            if not is_page_itself(request.url) and not request.url.startswith("data:"):
                opened.requests.append(f"{request.method} {request.url}")

        def route(route) -> None:
            if is_page_itself(route.request.url) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                route.abort("blockedbyclient")

        def on_dialog(dialog) -> None:
            opened.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("console", lambda message: message.type == "error" and opened.console_errors.append(
            f"{message.text} ({message.location.get('url', '')}:{message.location.get('lineNumber', '')})"))
        page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
        page.on("request", on_request)
        page.on("websocket", lambda ws: opened.requests.append(f"WEBSOCKET {ws.url}"))
        page.on("dialog", on_dialog)
        context.route("**/*", route)

        page.goto(url, wait_until="load")
        page.wait_for_timeout(SETTLE_MS)
        opened.screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(opened.screenshot), full_page=True)
        return opened

    yield _open
    for context in contexts:
        context.close()
