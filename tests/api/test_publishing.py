"""Branch libraries publish over HTTP, against a running ``kg serve``: the whole story of issue 8.

Two libraries are registered with the real CLI; library A publishes a lecture
with a GB18030 SRT and sees it in its card, SPARQL, its dump and the change
feed; updates and deletes it; B's token and no token are refused; a publish
whose build process is killed leaves the store serving as it was; A and B
publishing at the same time both land; readers see no error meanwhile.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.api.conftest import BASE, ROOT, _free_port, start_server

A, B = "sh-lib", "gz-lib"
SRT = """1
00:00:01,000 --> 00:00:06,000
各位读者好，今天我们来谈一谈敦煌莫高窟的壁画艺术。

2
00:00:06,500 --> 00:00:12,000
莫高窟开凿于前秦时期，历经北魏、隋、唐，壁画数量极为丰富。

3
00:00:12,500 --> 00:00:18,000
敦煌壁画里的飞天形象，体现了佛教艺术与中原绘画的交融。

4
00:00:18,500 --> 00:00:25,000
唐代的经变画规模宏大，描绘了净土世界的楼台、乐舞和人物。

5
00:00:25,500 --> 00:00:32,000
二十世纪初藏经洞的发现，使敦煌文献流散海外，也催生了敦煌学。

6
00:00:32,500 --> 00:00:40,000
今天的敦煌研究院用数字化的方法保护壁画，让更多读者看到莫高窟。
"""


def _record(title: str, **more) -> str:
    return json.dumps({"title": title, "speakers": ["李文"], "series": "丝路讲堂", "date": "2026-11-01",
                       "description": "敦煌莫高窟壁画的历史与保护。", **more}, ensure_ascii=False)


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    """The demo store with two registered libraries, served; yields (server, tokens, store, dumps)."""
    from kg.pipeline import BuildInput, build
    from kg.settings import Settings

    root = tmp_path_factory.mktemp("publishing")
    store, dumps, port = root / "store", root / "dumps", _free_port()
    build(BuildInput(ROOT / "data"), Settings(store=store, base_uri=BASE.format(port=port)))
    tokens = {}
    for library, name in ((A, "上海图书馆"), (B, "广州图书馆")):
        added = subprocess.run([sys.executable, "-m", "api.cli", "library", "add", library, "--name", name,
                                "--opac-pattern", f"https://opac.{library}.example.org/record/{{id}}",
                                "--store", str(store)], cwd=ROOT, capture_output=True, text=True, check=True)
        tokens[library] = added.stdout.strip()
    server = start_server(store, port, root / "serve.log", KG_DUMPS=str(dumps), KG_QUERY_TIMEOUT="10")
    yield server, tokens, store, dumps
    server.process.terminate()
    server.process.wait(10)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _put(server, library: str, lecture: str, token: str | None, record: str, subtitles: bytes,
         filename: str = "lecture.srt") -> httpx.Response:
    return httpx.put(server.url(f"/api/libraries/{library}/lectures/{quote(lecture, safe='')}"),
                     files={"record": (None, record), "subtitles": (filename, subtitles)},
                     headers=_auth(token) if token else {}, timeout=300)


def _build(store: Path) -> str:
    """The build being served: where ``current`` points."""
    return (store / "current").resolve().name


def _feed_activities(server, library: str) -> list[dict]:
    collection = httpx.get(server.url(f"/libraries/{library}/feed"), timeout=10).json()
    activities = []
    for number in range(1, (collection.get("last") and int(collection["last"]["id"].rsplit("/", 1)[1]) or 0) + 1):
        activities += httpx.get(server.url(f"/libraries/{library}/feed/page/{number}"), timeout=10).json()["orderedItems"]
    return activities


def _ask(server, query: str) -> bool:
    answer = httpx.post(server.url("/sparql"), data={"query": query},
                        headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["boolean"]


class Readers:
    """Threads reading a card and the home page while libraries publish; counts what failed."""

    def __init__(self, server, threads: int = 2) -> None:
        self.server, self.stop, self.done, self.failed = server, threading.Event(), 0, []
        self.threads = [threading.Thread(target=self._read) for _ in range(threads)]

    def __enter__(self) -> "Readers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _read(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                for path in ("/api/lectures/nlc/kunqu-01/card", "/index.json"):
                    try:
                        status = client.get(self.server.url(path)).status_code
                    except httpx.HTTPError as error:
                        status = repr(error)
                    self.done += 1
                    if status != 200:
                        self.failed.append((path, status))


def test_a_library_publishes_updates_and_deletes_a_lecture_while_readers_read(station):
    server, tokens, store, dumps = station
    lecture = "dunhuang-第一讲"  # non-ASCII id, percent-encoded in URLs
    subtitles = SRT.encode("gb18030")
    uri = BASE.format(port=server.base.rsplit(":", 1)[1].rstrip("/")) + f"lecture/{A}/{quote(lecture, safe='')}"
    with Readers(server) as readers:
        assert _put(server, A, lecture, None, _record("敦煌壁画"), subtitles).status_code == 401
        forbidden = _put(server, A, lecture, tokens[B], _record("敦煌壁画"), subtitles)
        assert forbidden.status_code == 403 and "another library" in forbidden.json()["error"]["detail"]

        started = time.monotonic()
        created = _put(server, A, lecture, tokens[A], _record("敦煌壁画的历史"), subtitles)
        seconds = time.monotonic() - started
        assert created.status_code == 201, created.text
        assert created.headers["location"] == uri and created.json()["cues"] == 6
        card = httpx.get(server.url(created.json()["card"]), timeout=10)
        assert card.status_code == 200 and card.json()["title"] == "敦煌壁画的历史"
        keys = {k["label"] for k in card.json()["keywords"]}
        assert {"敦煌", "壁画"} & keys, keys
        assert _ask(server, f"""PREFIX schema: <http://schema.org/> PREFIX prov: <http://www.w3.org/ns/prov#>
            ASK {{ GRAPH <{BASE.format(port=server.base.rsplit(':', 1)[1].rstrip('/'))}graph/{A}> {{
                <{uri}> schema:name "敦煌壁画的历史"@zh ; prov:wasAttributedTo ?library ; prov:wasGeneratedBy ?write .
                ?write prov:wasAssociatedWith ?library ; prov:endedAtTime ?when . }} }}""")
        feed = _feed_activities(server, A)
        assert [(a["type"], a["object"]["id"]) for a in feed] == [("Create", uri)]

        updated = _put(server, A, lecture, tokens[A], _record("敦煌壁画的历史与保护"), subtitles)
        assert updated.status_code == 200, updated.text
        assert httpx.get(server.url(created.json()["card"]), timeout=10).json()["title"] == "敦煌壁画的历史与保护"
        assert [a["type"] for a in _feed_activities(server, A)] == ["Create", "Update"]

        dumped = subprocess.run([sys.executable, "-m", "api.cli", "dump", "--store", str(store), "--out", str(dumps), "--quiet"],
                                cwd=ROOT, capture_output=True, text=True, env={**os.environ, "KG_BASE_URI": server.base})
        assert dumped.returncode == 0, dumped.stderr
        release = (dumps / "current").resolve()
        assert "敦煌壁画的历史与保护" in gzip.decompress((release / f"library.{A}.nq.gz").read_bytes()).decode()
        manifest = json.loads((release / "manifest.json").read_text())
        assert manifest["feed_position"] == updated.json()["feed_position"]

        assert httpx.delete(server.url(f"/api/libraries/{A}/lectures/{quote(lecture, safe='')}"),
                            headers=_auth(tokens[B]), timeout=30).status_code == 403
        deleted = httpx.delete(server.url(f"/api/libraries/{A}/lectures/{quote(lecture, safe='')}"),
                               headers=_auth(tokens[A]), timeout=300)
        assert deleted.status_code == 200, deleted.text
        assert httpx.get(server.url(created.json()["card"]), timeout=10).status_code == 404
        assert [a["type"] for a in _feed_activities(server, A)] == ["Create", "Update", "Delete"]
        again = httpx.delete(server.url(f"/api/libraries/{A}/lectures/{quote(lecture, safe='')}"),
                             headers=_auth(tokens[A]), timeout=30)
        assert again.status_code == 404
    assert readers.done > 20 and readers.failed == [], readers.failed[:5]
    assert seconds < 120  # "within seconds" is measured by bench/publish.py; this only catches a hang


def test_bad_uploads_are_refused_with_what_and_where_and_the_store_is_unchanged(station):
    server, tokens, store, _ = station
    before = _build(store)
    broken = _put(server, A, "bad-1", tokens[A], _record("坏文件"), b"\x00\x01\x02binary\xff\xfe" * 50)
    assert broken.status_code == 400 and broken.json()["error"]["detail"].startswith("lecture.srt"), broken.text
    bad_date = _put(server, A, "bad-2", tokens[A], _record("日期", date="去年"), SRT.encode("gb18030"))
    assert bad_date.status_code == 400 and "field 'date'" in bad_date.json()["error"]["detail"], bad_date.text
    other = _put(server, A, "bad-3", tokens[A], _record("别馆", library=B), SRT.encode())
    assert other.status_code == 400 and "library" in other.json()["error"]["detail"]
    suffix = _put(server, A, "bad-4", tokens[A], _record("后缀"), SRT.encode(), filename="lecture.docx")
    assert suffix.status_code == 400 and "*.srt" in suffix.json()["error"]["detail"]
    huge = _put(server, A, "bad-5", tokens[A], _record("太大"), b"1\n" * 11_000_000)
    assert huge.status_code == 413, huge.status_code
    not_json = _put(server, A, "bad-6", tokens[A], "{title:", SRT.encode())
    assert not_json.status_code == 400 and "record" in not_json.json()["error"]["detail"]
    for answer in (broken, bad_date, other, suffix, not_json):
        assert str(ROOT) not in answer.text and "/tmp" not in answer.text  # no server paths
    assert _build(store) == before


def test_two_libraries_publishing_at_once_both_land(station):
    server, tokens, _, _ = station
    answers = {}

    def publish(library: str) -> None:
        answers[library] = _put(server, library, f"{library}-lecture", tokens[library], _record(f"{library} 的讲座"),
                                SRT.encode("utf-8"))

    threads = [threading.Thread(target=publish, args=(library,)) for library in (A, B)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {library: a.status_code for library, a in answers.items()} == {A: 201, B: 201}
    for library in (A, B):
        card = httpx.get(server.url(f"/api/lectures/{library}/{library}-lecture/card"), timeout=10)
        assert card.status_code == 200 and card.json()["title"] == f"{library} 的讲座"
    page = httpx.get(server.url(f"/libraries/{B}/index.json"), timeout=10).json()
    assert f"{B} 的讲座" in json.dumps(page, ensure_ascii=False)
    found = httpx.get(server.url("/api/search"), params={"q": "敦煌 讲座", "library": B}, timeout=10).json()
    lectures = found["groups"]["lectures"]["items"]
    assert lectures and {hit["library"] for hit in lectures} == {B}  # B's share of the search


def test_a_library_uploads_holdings_into_its_own_graph(station):
    server, tokens, _, _ = station
    port = server.base.rsplit(":", 1)[1].rstrip("/")
    csv = ("id,title,creators,publisher,year,subjects,clc,language\n"
           "dh-001,敦煌壁画研究,段文杰,甘肃人民出版社,1985,敦煌壁画|莫高窟,K879.21,chi\n").encode()
    refused = httpx.post(server.url(f"/api/libraries/{A}/holdings"), files={"file": ("books.csv", csv)},
                         headers=_auth(tokens[B]), timeout=30)
    assert refused.status_code == 403
    added = httpx.post(server.url(f"/api/libraries/{A}/holdings"), files={"file": ("books.csv", csv)},
                       headers=_auth(tokens[A]), timeout=300)
    assert added.status_code == 201 and added.json()["records"] == 1, added.text
    assert _ask(server, f"""PREFIX schema: <http://schema.org/>
        ASK {{ GRAPH <{BASE.format(port=port)}graph/{A}> {{
            <{BASE.format(port=port)}holding/{A}/dh-001> schema:name "敦煌壁画研究" ;
                schema:holdingArchive <{BASE.format(port=port)}library/{A}> }} }}""")
    card = httpx.get(server.url(f"/api/holdings/{A}/dh-001/card"), timeout=10)
    assert card.status_code == 200, card.text
    assert card.json()["links"]["opac"] == f"https://opac.{A}.example.org/record/dh-001"  # the library's own catalogue
    bad = httpx.post(server.url(f"/api/libraries/{A}/holdings"), files={"file": ("books.mrc", b"00010nam  not marc")},
                     headers=_auth(tokens[A]), timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["detail"].startswith("books.mrc"), bad.text


def _builder_pid(server_pid: int) -> int | None:
    for child in Path(f"/proc/{server_pid}/task").glob("*/children"):
        for pid in child.read_text().split():
            try:
                if b"kg.builder" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return int(pid)
            except OSError:
                continue
    return None


def test_a_publish_killed_mid_build_leaves_the_store_serving_as_it_was(station):
    server, tokens, store, _ = station
    before = _build(store)
    card_before = httpx.get(server.url("/api/lectures/nlc/kunqu-01/card"), timeout=10).json()
    answer: dict = {}
    publishing = threading.Thread(target=lambda: answer.update(
        response=_put(server, A, "killed-1", tokens[A], _record("被中断的发布"), SRT.encode())))
    publishing.start()
    deadline = time.monotonic() + 60
    while not _unfinished(store) and publishing.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)  # until the build is under way: the lock held, the new build directory being written
    pid = _builder_pid(server.process.pid)
    assert pid is not None, "no build process found"
    os.kill(pid, signal.SIGKILL)
    publishing.join(120)
    response = answer["response"]
    if response.status_code in (200, 201):  # the build had already swapped in before the kill: it landed whole
        pytest.skip("the build finished before the kill; nothing to check on this machine's timing")
    assert response.status_code == 503 and "nothing was published" in response.json()["error"]["detail"]
    assert _build(store) == before
    assert httpx.get(server.url("/api/lectures/nlc/kunqu-01/card"), timeout=10).json() == card_before
    assert httpx.get(server.url(f"/api/lectures/{A}/killed-1/card"), timeout=10).status_code == 404
    retried = _put(server, A, "killed-1", tokens[A], _record("被中断的发布"), SRT.encode())
    assert retried.status_code == 201, retried.text  # a new build process; no lock left behind
    assert _unfinished(store) == []


def _unfinished(store: Path) -> list[Path]:
    return [p for p in (store / "builds").iterdir() if not (p / "build.json").is_file()]
