from sparql import lexer


def test_form_skips_the_prologue_and_comments():
    text = "# a comment\nBASE <http://e/>\nPREFIX ex: <http://e/>\nPREFIX : <http://d/>\n  select * { ?s ?p ?o }"
    assert lexer.form(text) == "SELECT"
    assert lexer.form("PREFIX ex: <http://e/> INSERT DATA { ex:a ex:b ex:c }") == "INSERT"
    assert lexer.form("") is None


def test_keywords_inside_strings_iris_and_names_are_not_keywords():
    text = 'SELECT * WHERE { ?s <http://e/from> "FROM here" ; ex:from ?from } # FROM'
    assert not lexer.has_dataset_clause(text)
    assert lexer.has_dataset_clause("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }")
    assert lexer.has_dataset_clause("ASK from named <http://e/g> { GRAPH ?g { ?s ?p ?o } }")


def test_nesting_counts_every_kind_of_bracket_outside_strings():
    assert lexer.nesting("SELECT * { { ?s ?p ( 1 [ ?q 2 ] ) } }") == 4
    assert lexer.nesting('SELECT * { FILTER(?o = "((((((((") }') == 2
    assert lexer.nesting("SELECT (" + "(" * 100 + "1" + ")" * 100 + " AS ?x) {}") == 101


def test_long_strings_and_escapes():
    text = 'SELECT * { ?s ?p """a "quoted" { FROM """ . ?s ?p \'it\\\'s\' } '
    assert [t.kind for t in lexer.tokens(text)].count("string") == 2
    assert not lexer.has_dataset_clause(text)
