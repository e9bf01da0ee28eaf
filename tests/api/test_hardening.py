"""The HTTP door under hostile requests: traversal, injection, oversized and slow requests.

Each is refused or survived, and the server keeps answering others.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest


def raw_request(server, data: bytes, timeout: float = 10) -> bytes:
    """Send bytes as they are (no client library tidying them up); what came back before the server closed or paused."""
    address = urlsplit(server.base)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and len(received) > 64 * 1024:
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        return received


def still_answers(server) -> None:
    started = time.monotonic()
    assert httpx.get(server.url("/healthz"), timeout=5).status_code == 200
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml", "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e%2fapp.py", "/static/....//....//etc/passwd", "/static//etc/passwd", "/static/%00",
    "/dumps/..%2f..%2fpyproject.toml", "/dumps/%2e%2e/build.json",
])
def test_no_path_leaves_the_static_and_dump_folders(live_server, path):
    answer = raw_request(live_server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 404), (path, answer[:200])
    assert b"[project]" not in answer and b"root:" not in answer and b"create_app" not in answer
    still_answers(live_server)


@pytest.mark.parametrize("path", [
    "/keyword/a%0D%0ASet-Cookie:%20stolen=1", "/lecture/nlc/mingdai-01%0D%0AX-Injected:%201",
    "/lecture/nlc/mingdai-01?format=ttl%0D%0AX-Injected:%201", "/api/lectures/nlc/x%0D%0AX-Injected:%201/card",
    "/search?q=%0D%0AX-Injected:%201", "/api/network?uri=http://127.0.0.1/%0D%0AX-Injected:%201",
])
def test_percent_encoded_line_breaks_never_become_headers(live_server, path):
    for accept in ("text/html", "text/turtle", "application/json"):
        answer = raw_request(live_server, f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\nConnection: close\r\n\r\n".encode())
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        assert b"set-cookie" not in head and b"x-injected" not in head, (path, head)
        assert int(answer.split(b" ", 2)[1]) < 500, (path, answer[:300])


def test_oversized_headers_are_refused_and_the_server_goes_on(live_server):
    answer = raw_request(live_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    assert answer == b"" or int(answer.split(b" ", 2)[1]) in (400, 413, 431)
    many = b"".join(b"X-%d: y\r\n" % i for i in range(5000))
    answer = raw_request(live_server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert int(answer.split(b" ", 2)[1]) == 431 and b"at most 100 fields" in answer
    still_answers(live_server)


def test_oversized_bodies_are_refused_without_being_read_whole(live_server):
    url = live_server.url("/sparql")
    big = httpx.post(url, content=b"x" * 20_000_000, headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert big.status_code == 413
    form = httpx.post(url, content=b"query=" + b"x" * 20_000_000,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert form.status_code == 413

    def chunks():
        for _ in range(200):
            yield b"x" * 100_000

    chunked = httpx.post(url, content=chunks(), headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert chunked.status_code == 413
    for path in ("/api/search?q=x", "/healthz"):  # routes that take no body
        assert httpx.request("POST", live_server.url(path), content=b"x" * 5_000_000, timeout=30).status_code in (405, 413)
    still_answers(live_server)


def test_slow_clients_do_not_starve_the_others(live_server):
    address = urlsplit(live_server.base)
    stop = threading.Event()
    sockets = []
    for _ in range(60):  # each trickles a request line one byte at a time and never finishes it
        connection = socket.create_connection((address.hostname, address.port), timeout=5)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sockets.append(connection)

    def trickle():
        while not stop.is_set():
            for connection in sockets:
                try:
                    connection.sendall(b"a")
                except OSError:
                    pass
            time.sleep(0.2)

    worker = threading.Thread(target=trickle, daemon=True)
    worker.start()
    try:
        times = []
        for _ in range(20):
            started = time.monotonic()
            assert httpx.get(live_server.url("/api/lectures/nlc/kunqu-01/card"), timeout=5).status_code == 200
            times.append(time.monotonic() - started)
        assert sorted(times)[len(times) // 2] < 0.5, times
    finally:
        stop.set()
        worker.join(5)
        for connection in sockets:
            connection.close()
    still_answers(live_server)
