"""Real SPARQL clients against /sparql: SPARQLWrapper, rdflib's SPARQLStore, curl."""

import json
import shutil
import subprocess

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore

SPARQLWrapper = pytest.importorskip("SPARQLWrapper")

TITLES = ("SELECT ?title WHERE { ?l a <http://schema.org/VideoObject> ; <http://schema.org/name> ?title } "
          "ORDER BY ?title")


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_sparqlwrapper_select(live_server, method, fmt):
    client = SPARQLWrapper.SPARQLWrapper(live_server.url("/sparql"))
    client.setMethod(getattr(SPARQLWrapper, method))
    client.setReturnFormat(getattr(SPARQLWrapper, fmt.upper()))
    client.setQuery(TITLES)
    result = client.query().convert()
    if fmt == "json":
        titles = [b["title"]["value"] for b in result["results"]["bindings"]]
    else:
        titles = [node.firstChild.firstChild.data for node in result.getElementsByTagName("binding")]
    assert len(titles) == 18 and "《红楼梦》的家族与命运" in titles


def test_sparqlwrapper_ask_and_construct(live_server):
    client = SPARQLWrapper.SPARQLWrapper(live_server.url("/sparql"))
    client.setQuery("ASK { ?l a <http://schema.org/VideoObject> }")
    client.setReturnFormat(SPARQLWrapper.JSON)
    assert client.query().convert()["boolean"] is True
    client.setQuery("CONSTRUCT WHERE { ?l a <http://schema.org/VideoObject> }")
    client.setReturnFormat(SPARQLWrapper.TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 18


def test_sparqlwrapper_sees_errors_as_errors(live_server):
    client = SPARQLWrapper.SPARQLWrapper(live_server.url("/sparql"))
    client.setQuery("SELECT * WHERE {")
    with pytest.raises(SPARQLWrapper.SPARQLExceptions.QueryBadFormed):
        client.query()


def test_rdflib_sparqlstore(live_server):
    graph = rdflib.Graph(SPARQLStore(live_server.url("/sparql")))
    rows = list(graph.query(TITLES))
    assert len(rows) == 18 and all(isinstance(row.title, rdflib.Literal) for row in rows)
    (ask,) = graph.query("ASK { ?l a <http://schema.org/VideoObject> }")
    assert ask is True
    schema = rdflib.Namespace("http://schema.org/")
    assert len(list(graph.triples((None, rdflib.RDF.type, schema.VideoObject)))) == 18


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(live_server):
    def curl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["curl", "-sS", "--fail-with-body", *args], capture_output=True, text=True, timeout=30)

    url = live_server.url("/sparql")
    json_out = curl("-H", "Accept: application/sparql-results+json", "--data-urlencode", f"query={TITLES}", url)
    assert json_out.returncode == 0 and len(json.loads(json_out.stdout)["results"]["bindings"]) == 18
    csv_out = curl("-G", "--data-urlencode", f"query={TITLES}", "--data-urlencode", "format=csv", url)
    assert csv_out.stdout.splitlines()[0] == "title" and len(csv_out.stdout.splitlines()) == 19
    direct = curl("-H", "Content-Type: application/sparql-query", "-H", "Accept: text/turtle",
                  "--data-binary", "CONSTRUCT WHERE { ?l a <http://schema.org/VideoObject> }", url)
    assert len(rdflib.Graph().parse(data=direct.stdout, format="turtle")) == 18
    refused = curl("--data-urlencode", "update=CLEAR ALL", url)
    assert refused.returncode != 0 and "read-only" in refused.stdout
    described = curl(url)  # curl sends Accept: */* : the service description in Turtle
    assert "sd:endpoint" in described.stdout
