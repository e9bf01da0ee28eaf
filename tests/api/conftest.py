"""A real server for the HTTP tests: the demo corpus built once, ``kg serve`` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The demo corpus (data/), built once per test session; returns the store directory."""
    from kg.pipeline import BuildInput, build
    from kg.settings import Settings

    store = tmp_path_factory.mktemp("served") / "store"
    port = _free_port()
    report = build(BuildInput(ROOT / "data"), Settings(store=store, base_uri=BASE.format(port=port)))
    assert not report.problems
    (store / "port").write_text(str(port))  # the base URI above names this port
    return store


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    def __init__(self, base: str, process: subprocess.Popen, log: Path) -> None:
        self.base, self.process, self.log = base, process, log

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path


def start_server(store: Path, port: int, log: Path, **env: str) -> LiveServer:
    """``kg serve`` as a separate process, waited for until /healthz answers."""
    environment = {**os.environ, "KG_BASE_URI": BASE.format(port=port), **env}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--store", str(store), "--port", str(port)],
            cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = LiveServer(BASE.format(port=port), process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(server.url("/healthz"), timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"kg serve exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"kg serve did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def live_server(demo_store, tmp_path_factory) -> LiveServer:
    """The demo store served by a real ``kg serve`` process (query timeout 5 s for the tests)."""
    port = int((demo_store / "port").read_text())
    server = start_server(demo_store, port, tmp_path_factory.mktemp("log") / "serve.log", KG_QUERY_TIMEOUT="5",
                          KG_DUMPS=str(tmp_path_factory.mktemp("dumps")))
    yield server
    server.process.terminate()
    server.process.wait(10)


# Browser tests: Debian's Chromium driven by Playwright through executable_path (no browser download).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps an event loop running while it lives,
def browser():                   # and later tests call asyncio.run()
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium): browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path, request):
    context = browser.new_context()
    page = context.new_page()
    page.requested = []
    page.on("request", lambda r: page.requested.append(r.url))
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(f"{m.text} ({m.location.get('url')})"))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    artefacts = Path(__file__).resolve().parents[2] / "var" / "test-artefacts"
    artefacts.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(artefacts / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


def only_local(requested: list[str]) -> list[str]:
    """The requests a page made to anywhere but 127.0.0.1 (there should be none: no CDN)."""
    return [url for url in requested if urlsplit(url).scheme not in ("data", "blob", "about")
            and urlsplit(url).hostname != "127.0.0.1"]
