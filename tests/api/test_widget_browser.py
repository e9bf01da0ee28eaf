"""The embeddable widget in a real browser: Debian's Chromium driven by Playwright (no browser download).

The ``browser`` and ``page`` fixtures (tests/api/conftest.py) skip, saying why, when
``/usr/bin/chromium`` or the ``playwright`` package is absent.
The plain-HTTP checks at the top run everywhere.
"""

from __future__ import annotations

import time

import httpx

from tests.api.conftest import only_local

TITLE = "明代的海禁与郑和下西洋"


def test_widget_pages_are_html_and_unknown_lectures_404(live_server):
    for path in ("/widget/nlc/mingdai-01", "/demo/widget"):
        page = httpx.get(live_server.url(path), headers={"Accept": "text/html"})
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], path
        assert '<script src="/static/widget.js"' in page.text and "<kg-lecture-card" in page.text
        assert TITLE in page.text
    assert '<output id="seek"' in httpx.get(live_server.url("/demo/widget")).text
    script = httpx.get(live_server.url("/static/widget.js"))
    assert script.status_code == 200 and "kg-lecture-card" in script.text
    for path in ("/widget/nlc/no-such-lecture", "/demo/widget?lecture=no-such-lecture", "/widget/nowhere/mingdai-01"):
        assert httpx.get(live_server.url(path), headers={"Accept": "text/html"}).status_code == 404, path


def test_time_click_seeks_the_host_video(live_server, page):
    started = time.monotonic()
    page.goto(live_server.url("/demo/widget"))
    page.evaluate("""() => document.addEventListener('kg-seek', e => { window.heard = e.detail; })""")
    card = page.locator("kg-lecture-card#card")
    first = card.locator("ul.keywords li").first  # Playwright's CSS locators pierce the open shadow root
    first.wait_for(timeout=10_000)
    assert page.evaluate("() => document.querySelector('#card').shadowRoot.querySelectorAll('ul.keywords li').length") > 0
    assert TITLE in card.locator("h2.title").inner_text()
    label = first.locator(".label").inner_text()
    button = first.locator("button.time")
    shown = button.inner_text()
    seconds = float(button.get_attribute("data-seconds"))
    assert shown.count(":") >= 1
    button.click()
    page.wait_for_function("() => document.getElementById('seek').dataset.seconds !== undefined", timeout=5_000)
    assert page.locator("output#seek").inner_text().startswith(shown)
    heard = page.evaluate("() => window.heard")
    assert heard == {"seconds": seconds, "label": label, "lecture": "mingdai-01"}
    assert page.evaluate("() => window.kgSeeks.length") == 1
    card.locator("ul.holdings li a").first.wait_for()  # holdings and related lectures render too
    assert card.locator("ul.related li").count() > 0
    assert any("/api/lectures/nlc/mingdai-01/card" in url for url in page.requested)
    assert only_local(page.requested) == [], "the page asked a third party"
    assert page.console_errors == []
    print(f"browser test: {time.monotonic() - started:.2f} s")


def test_iframe_page_renders_the_title_and_posts_to_its_parent(live_server, page):
    page.goto(live_server.url("/demo/widget"))
    page.evaluate("""(src) => { const f = document.createElement('iframe'); f.id = 'embedded'; f.src = src;
                               f.style.width = '30rem'; f.style.height = '40rem'; document.body.append(f); }""",
                  live_server.url("/widget/nlc/mingdai-01"))
    frame = page.frame_locator("iframe#embedded")
    title = frame.locator("kg-lecture-card h2.title")
    title.wait_for(timeout=10_000)
    assert title.inner_text() == TITLE
    frame.locator("kg-lecture-card ul.keywords button.time").first.click()
    page.wait_for_function("() => window.kgSeeks.length === 1", timeout=5_000)  # arrived by postMessage
    assert page.evaluate("() => window.kgSeeks[0].lecture") == "mingdai-01"
    assert page.locator("output#seek").inner_text() != "—"
    assert only_local(page.requested) == [], "the page asked a third party"
