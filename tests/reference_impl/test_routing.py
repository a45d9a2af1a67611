"""Contract path precedence: concrete paths win over templated ones, then the method decides."""

from reference_impl.app import load_contract
from reference_impl.bridge import to_openapi30
from reference_impl.routing import PathTable, specificity

TABLE = PathTable(load_contract()["paths"])


def test_concrete_path_wins_over_a_template_that_also_matches():
    # The contract itself has no such pair any more (tests/spec forbids it); other documents may.
    table = PathTable({"/c/fixed": {"post": {}}, "/c/{id}": {"get": {}, "patch": {}}})
    route = table.match("/c/fixed")
    assert route.template == "/c/fixed"
    assert route.methods == {"POST"} and route.allow == "POST"
    assert table.match("/c/other").template == "/c/{id}"
    route = TABLE.match("/api/v1/conversations/0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70")
    assert route.template == "/api/v1/conversations/{conversation_id}"
    assert route.methods == {"GET", "HEAD", "PATCH", "DELETE"}


def test_a_template_parameter_is_exactly_one_non_empty_segment():
    assert TABLE.match("/api/v1/conversations/a/b") is None
    assert TABLE.match("/api/v1/conversations//messages") is None
    assert TABLE.match("/api/v1/shares/abc/clone").template == "/api/v1/shares/{share_id}/clone"
    assert TABLE.match("/api/v1/nope") is None


def test_precedence_is_decided_at_the_first_differing_segment():
    table = PathTable({"/a/{x}/c": {"get": {}}, "/a/b/{y}": {"post": {}}, "/{z}/b/c": {"put": {}}})
    assert table.match("/a/b/c").template == "/a/b/{y}"
    assert table.match("/a/q/c").template == "/a/{x}/c"
    assert table.match("/q/b/c").template == "/{z}/b/c"
    assert specificity("/a/b/{y}") < specificity("/a/{x}/c") < specificity("/{z}/b/c")


def test_the_connexion_view_lists_concrete_paths_first():
    """Connexion routes first-match; its view is ordered so methods both paths declare agree."""
    paths = list(to_openapi30(load_contract())["paths"])
    assert paths == sorted(paths, key=specificity)
