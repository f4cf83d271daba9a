"""The browser harness itself catches what the report tests rely on it to catch (so a pass is not vacuous)."""

from __future__ import annotations

from pathlib import Path

BAD_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bad</title>
<link rel="stylesheet" href="https://cdn.example.com/style.css"></head>
<body><p id="here">here</p><img src="x.png" alt="">
<svg width="10" height="10"><image href="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="1" height="1"/></svg>
<script>
console.error("deliberate console error");
fetch("https://api.example.com/track").catch(() => {});
alert("deliberate alert");
window.__ran = 1;
setTimeout(() => { throw new Error("deliberate uncaught error"); }, 0);
</script></body></html>
"""

CLEAN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>clean</title></head>
<body><p id="here">plain</p><img alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>
"""


def test_harness_records_errors_requests_and_dialogs(tmp_path: Path, open_report) -> None:
    page = tmp_path / "bad.html"
    page.write_text(BAD_PAGE)
    opened = open_report(page, tmp_path / "bad.png")
    assert opened.js("() => window.__ran") == 1
    assert any("deliberate console error" in m for m in opened.console_errors), opened.console_errors
    assert any("deliberate uncaught error" in m for m in opened.page_errors), opened.page_errors
    assert opened.dialogs == ["alert: deliberate alert"]
    requested = "\n".join(opened.requests)
    for url in ("https://cdn.example.com/style.css", "x.png", "https://api.example.com/track"):
        assert url in requested, f"{url} not recorded in {opened.requests}"
    assert not any(r.split(" ", 1)[1].startswith("data:") for r in opened.requests), opened.requests
    assert opened.screenshot.is_file()


def test_harness_is_quiet_on_a_clean_page(tmp_path: Path, open_report) -> None:
    page = tmp_path / "clean.html"
    page.write_text(CLEAN_PAGE)
    opened = open_report(page, tmp_path / "clean.png")
    assert opened.page.locator("#here").is_visible()
    assert opened.errors == [] and opened.requests == [] and opened.dialogs == []
    assert opened.inner_text().strip() == "plain"
