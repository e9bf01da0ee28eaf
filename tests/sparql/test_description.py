import pyoxigraph as ox
import rdflib

from sparql.description import SD, Statistics, describe

ENDPOINT = "http://data.example.org/sparql"


def graph_of(triples) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.TURTLE), format="turtle")


def test_service_description_names_endpoint_languages_formats_and_counts():
    stats = Statistics(total=10, graphs={"http://data.example.org/graph/nlc": 7, "http://data.example.org/graph/meta": 3})
    g = graph_of(describe(ENDPOINT, stats))
    sd = rdflib.Namespace(SD)
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    service = g.value(predicate=sd.endpoint, object=rdflib.URIRef(ENDPOINT))
    assert (service, rdflib.RDF.type, sd.Service) in g
    assert set(g.objects(service, sd.supportedLanguage)) == {sd.SPARQL10Query, sd.SPARQL11Query}
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV") in set(g.objects(service, sd.resultFormat))
    assert sd.BasicFederatedQuery not in set(g.objects(service, sd.feature))
    dataset = g.value(service, sd.defaultDataset)
    assert int(g.value(g.value(dataset, sd.defaultGraph), void.triples)) == 10
    counts = {str(g.value(n, sd.name)): int(g.value(g.value(n, sd.graph), void.triples))
              for n in g.objects(dataset, sd.namedGraph)}
    assert counts == stats.graphs
    assert not any(isinstance(term, rdflib.BNode) for triple in g for term in triple)


def test_federation_is_declared_only_when_allowed_and_unknown_counts_are_left_out():
    triples = describe(ENDPOINT, Statistics(total=None, graphs={}), federated=True)
    g = graph_of(triples)
    assert (None, rdflib.URIRef(SD + "feature"), rdflib.URIRef(SD + "BasicFederatedQuery")) in g
    assert not list(g.triples((None, rdflib.URIRef("http://rdfs.org/ns/void#triples"), None)))
