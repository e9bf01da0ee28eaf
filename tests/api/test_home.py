import httpx


def test_home_links_every_door_in_html_and_json(live_server):
    page = httpx.get(live_server.url("/"), headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'rel="alternate"; type="application/json"' in page.headers["link"]
    for door in ("/sparql", "/dumps/", "/docs"):
        assert f'href="{door}"' in page.text
    twin = httpx.get(live_server.url("/index.json")).json()
    assert twin["sparql"] == "/sparql" and twin["counts"]["lectures"] == 18


def test_errors_never_leak_and_follow_the_client(live_server):
    missing = httpx.get(live_server.url("/api/nothing-here"))
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404
    page = httpx.get(live_server.url("/no/such/page.html"), headers={"Accept": "text/html"})
    assert page.status_code == 404 and "<h1>404" in page.text and "Traceback" not in page.text


def test_server_start_imports_neither_jieba_nor_spacy():
    import subprocess
    import sys

    code = "import sys, api.app; api.app.create_app(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('jieba', 'spacy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
