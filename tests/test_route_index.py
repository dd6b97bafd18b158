"""The route index (routers/flat.py, RouteIndex): a request tries only the routes its path could match,
and always gets the route, and the answer, that the router's whole list would give."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Match

from tests.factories import unique_client

PARAMETER = re.compile(r"\{[^}]+\}")
SAMPLES = ("1", "demo", "new", "x.csv")
EXTRA_PATHS = ("/", "//", "/v", "/v/", "/v/demo", "/v/demo/", "/api", "/api/v1", "/api/v1/", "/api/v1/nope",
               "/static", "/static/", "/static/app.css", "/nope", "/v/demo/nope/1", "/api/v1/votes/1/ballots/x",
               "/login/", "/townships/1/dashboard/", "/api/v1/votes/abc/ballots", "/v//board",
               "/v/{}/proposals", "/v/{slug}/proposals/{pid}")


def scope_for(path: str, method: str) -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [],
            "query_string": b""}


def first_full(routes, scope):
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


def paths_of(app) -> set[str]:
    """Every route's path with its parameters filled in a few ways, with and without a last slash, and
    paths that match nothing."""
    paths = set(EXTRA_PATHS)
    for route in app.router.routes:
        for sample in SAMPLES:
            path = PARAMETER.sub(sample, getattr(route, "path", "/"))
            paths |= {path, path + "/", path.rstrip("/") or "/", path + "/more"}
    return paths


def test_every_path_finds_the_route_the_whole_list_finds(app):
    index = app.router.middleware_stack
    routes = app.router.routes
    checked = 0
    for path in paths_of(app):
        view = index.view(path)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            scope = scope_for(path, method)
            expected = first_full(routes, scope)
            found = first_full(view.routes, scope) if view is not None else None
            assert found is expected, (method, path)
            checked += expected is not None
    assert checked > 300  # the sample paths reach the app's routes


def test_a_request_tries_a_handful_of_routes(app):
    index = app.router.middleware_stack
    assert len(app.router.routes) > 300
    for path in ("/api/v1/votes/7/ballots", "/v/demo/proposals/3", "/v/demo/notices/9", "/api/v1/me/home"):
        assert len(index.view(path).routes) <= 6, path


@pytest.fixture(scope="module")
def unindexed(database):
    """The same app with the router's own scan over every route."""
    from app.main import create_app

    application = create_app(database.settings)
    application.router.middleware_stack = application.router.app
    yield application
    application.state.engine.dispose()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/nope"),  # no route: 404
    ("GET", "/api/v1/nope"),
    ("GET", "/api/v1/votes/1/ballots"),  # a POST-only route: 405 with Allow
    ("DELETE", "/login"),
    ("GET", "/login/"),  # the address without its last slash: redirect
    ("GET", "/api/v1/votes/abc/ballots"),
    ("GET", "/static/nope.css"),
    ("GET", "/static/app.css"),
    ("HEAD", "/login"),
    ("GET", "/login"),
])
def test_answers_are_the_whole_lists_answers(app, unindexed, method, path):
    with unique_client(app, follow_redirects=False) as indexed, \
            unique_client(unindexed, follow_redirects=False) as plain:
        got, want = indexed.request(method, path), plain.request(method, path)
    assert got.status_code == want.status_code, (method, path)
    assert got.headers.get("location") == want.headers.get("location")
    assert got.headers.get("allow") == want.headers.get("allow")
    if method != "GET" or path != "/login":  # the login page carries a fresh CSRF token each time
        assert got.content == want.content


def test_a_route_added_later_is_found(database):
    from app.main import create_app

    application = create_app(database.settings)
    try:
        with unique_client(application) as client:
            assert client.get("/added-later/5").status_code == 404

            @application.get("/added-later/{n}")
            def added(n: int):
                return {"n": n}

            assert client.get("/added-later/5").json() == {"n": 5}
            assert client.get("/login").status_code == 200  # the tree rebuilt keeps the others
    finally:
        application.state.engine.dispose()
