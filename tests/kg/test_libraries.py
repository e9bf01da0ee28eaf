"""The library registry (tokens kept as hashes only), the ``kg library`` commands, and what the store says of a library."""

from __future__ import annotations

import hashlib
import json
import stat

import pyoxigraph as ox
import pytest

from api.cli import main
from ingest.manifest import _LIBRARY as MANIFEST_RULE
from kg.libraries import (REGISTRY, InvalidLibrary, LibraryExists, Registry, RegistryBusy, UnknownLibrary, hash_token,
                          in_store, profile, validate_id)
from kg.store import exclusive_lock

BASE = "http://127.0.0.1:8000/"


@pytest.mark.parametrize("value", ["nlc", "sh-lib", "a", "lib_2", "0abc", "x" * 64])
def test_good_ids_are_accepted_as_the_manifest_accepts_them(value):
    assert validate_id(value) == value and MANIFEST_RULE.fullmatch(value)


@pytest.mark.parametrize("value", ["", "-nlc", "NLC", "sh lib", "a/b", "meta", "vocabularies", "x" * 65, "上海", "a.b", "nlc\n"])
def test_bad_ids_are_refused_saying_what_is_accepted(value):
    with pytest.raises(InvalidLibrary, match="a-z 0-9"):
        validate_id(value)


def test_add_keeps_only_the_hash_of_the_token_it_returns(tmp_path):
    registry = Registry(tmp_path)
    library, token = registry.add("sh-lib", "上海图书馆", homepage="https://www.library.sh.cn/",
                                  opac_pattern="https://opac.example.org/record/{id}")
    assert token.startswith("kgl_") and len(token) > 40
    text = (tmp_path / REGISTRY).read_text(encoding="utf-8")
    assert token not in text and token[4:] not in text
    saved = json.loads(text)["libraries"]["sh-lib"]
    assert saved["token_sha256"] == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert saved["name"] == "上海图书馆" and saved["opac_pattern"].endswith("{id}")
    assert stat.S_IMODE((tmp_path / REGISTRY).stat().st_mode) == 0o600
    assert registry.get("sh-lib") == library and library.token_state == "present"
    assert Registry(tmp_path).authenticate(token) == library


def test_tokens_are_per_library_and_new_token_and_revoke_take_effect(tmp_path):
    registry = Registry(tmp_path)
    _, first = registry.add("a", "A")
    _, other = registry.add("b", "B")
    assert registry.authenticate(first).id == "a" and registry.authenticate(other).id == "b"
    assert registry.authenticate("kgl_guessed") is None and registry.authenticate("") is None
    second = registry.new_token("a")
    assert second != first and registry.authenticate(first) is None and registry.authenticate(second).id == "a"
    revoked = registry.revoke_token("a")
    assert revoked.token_state == "revoked" and revoked.token_sha256 is None
    assert registry.authenticate(second) is None and registry.authenticate(other).id == "b"
    assert [library.id for library in registry.all()] == ["a", "b"]


def test_registry_refuses_what_it_cannot_do(tmp_path):
    registry = Registry(tmp_path)
    registry.add("a", "A")
    with pytest.raises(LibraryExists, match="new-token"):
        registry.add("a", "again")
    with pytest.raises(UnknownLibrary):
        registry.revoke_token("nobody")
    with pytest.raises(UnknownLibrary):
        registry.new_token("nobody")
    with pytest.raises(InvalidLibrary, match="http"):
        registry.add("c", "C", homepage="ftp://example.org/")
    with pytest.raises(InvalidLibrary, match=r"\{id\}"):
        registry.add("c", "C", opac_pattern="https://opac.example.org/record/")
    with pytest.raises(InvalidLibrary, match="name"):
        registry.add("c", "  ")
    with exclusive_lock(tmp_path / ".libraries.lock", RuntimeError("held")):
        with pytest.raises(RegistryBusy):
            registry.add("d", "D")
    assert [library.id for library in registry.all()] == ["a"]


def test_cli_round_trip_prints_the_token_once_and_never_lists_it(tmp_path, capsys):
    store = str(tmp_path / "store")
    assert main(["library", "add", "sh-lib", "--name", "上海图书馆", "--homepage", "https://www.library.sh.cn/", "--store", store]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert out.count("\n") == 1 and token.startswith("kgl_") and "shown this once" in err
    assert token not in (tmp_path / "store" / REGISTRY).read_text(encoding="utf-8")
    assert Registry(tmp_path / "store").authenticate(token).id == "sh-lib"

    assert main(["library", "list", "--store", store]) == 0
    listing, _ = capsys.readouterr()
    assert "sh-lib" in listing and "present" in listing and "上海图书馆" in listing and token not in listing

    assert main(["library", "revoke-token", "sh-lib", "--store", store]) == 0
    capsys.readouterr()
    assert Registry(tmp_path / "store").authenticate(token) is None
    assert main(["library", "list", "--store", store]) == 0
    assert "revoked" in capsys.readouterr()[0]

    assert main(["library", "new-token", "sh-lib", "--store", store]) == 0
    fresh = capsys.readouterr()[0].strip()
    assert fresh != token and Registry(tmp_path / "store").authenticate(fresh).id == "sh-lib"


def test_cli_errors_exit_2_with_a_message(tmp_path, capsys):
    store = str(tmp_path / "store")
    assert main(["library", "add", "meta", "--name", "M", "--store", store]) == 2
    assert "not a library id" in capsys.readouterr()[1]
    assert main(["library", "revoke-token", "nobody", "--store", store]) == 2
    assert "no library 'nobody'" in capsys.readouterr()[1]


def _tiny_store() -> ox.Store:
    schema, kg = "http://schema.org/", BASE + "vocab/"
    lib, graph = ox.NamedNode(BASE + "library/sh-lib"), ox.NamedNode(BASE + "graph/sh-lib")
    derived = ox.NamedNode(BASE + "graph/sh-lib/derived")
    series = ox.NamedNode(BASE + "series/sh-lib/s")
    book = ox.NamedNode(BASE + "holding/nlc/b1")
    store = ox.Store()
    quads = [ox.Quad(lib, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(schema + "Library"), graph),
             ox.Quad(lib, ox.NamedNode("http://purl.org/dc/terms/identifier"), ox.Literal("sh-lib"), graph),
             ox.Quad(lib, ox.NamedNode(schema + "name"), ox.Literal("上海图书馆", language="zh"), graph),
             ox.Quad(book, ox.NamedNode(schema + "name"), ox.Literal("书"), ox.NamedNode(BASE + "graph/nlc"))]
    for number, date in ((1, "2024-01-01"), (2, "2025-01-01")):
        lecture = ox.NamedNode(BASE + f"lecture/sh-lib/l{number}")
        quads += [ox.Quad(lecture, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(schema + "VideoObject"), graph),
                  ox.Quad(lecture, ox.NamedNode(schema + "provider"), lib, graph),
                  ox.Quad(lecture, ox.NamedNode(schema + "name"), ox.Literal(f"讲座{number}", language="zh"), graph),
                  ox.Quad(lecture, ox.NamedNode(schema + "datePublished"), ox.Literal(date, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")), graph),
                  ox.Quad(lecture, ox.NamedNode(schema + "isPartOf"), series, graph),
                  ox.Quad(lecture, ox.NamedNode(kg + "suggestedHolding"), book, derived)]
    quads += [ox.Quad(series, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(schema + "CreativeWorkSeries"), graph)]
    store.extend(quads)
    return store


def test_the_store_lists_its_libraries_with_counts():
    found = in_store(_tiny_store(), BASE)
    assert list(found) == ["sh-lib"]
    assert (found["sh-lib"].lectures, found["sh-lib"].holdings, found["sh-lib"].name) == (2, 0, "上海图书馆")


def test_a_library_profile_lists_lectures_newest_first_series_and_linked_books():
    found = profile(_tiny_store(), BASE, "sh-lib")
    assert [e.label for e in found.lectures.items] == ["讲座2", "讲座1"] and found.lectures.items[0].date == "2025-01-01"
    assert found.series.total == 1 and found.series.items[0].count == 2
    assert [(e.uri, e.label, e.count) for e in found.books.items] == [(BASE + "holding/nlc/b1", "书", 2)]
    assert profile(_tiny_store(), BASE, "other").lectures.total == 0
    with pytest.raises(InvalidLibrary):
        profile(_tiny_store(), BASE, "meta")


def test_an_unreadable_registry_is_a_library_error_never_an_empty_one(tmp_path):
    from kg.libraries import LibraryError

    (tmp_path / REGISTRY).write_text("{not json", encoding="utf-8")
    with pytest.raises(LibraryError, match="cannot be read"):
        Registry(tmp_path).authenticate("kgl_x")
    with pytest.raises(LibraryError):
        Registry(tmp_path).add("a", "A")
    assert Registry(tmp_path / "absent").all() == []
