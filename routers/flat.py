"""One flat list of routes for the app, instead of routers nested in routers.

`include_router` in today's FastAPI keeps each included router as a node that is searched at request
time, and searched again at every level on the way down: with the API's 28 feature routers inside
`/api/v1` and the pages' 30 inside the web router, finding a route cost 0.3 ms (a ballot) to 1.1 ms (the
public board) before any handler ran. `include_flat` copies a router's routes into another the way
`include_router` did before it became lazy: every route keeps its path, endpoint, dependencies,
response model, documentation and route class, and gains the target's prefix, dependencies, tags,
responses and schema visibility. The
app then matches a request against one list, in the order the routers were included; `RouteIndex`
narrows that list, for each request, to the routes its path could match.
"""

from __future__ import annotations

import copy
import re

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send


def include_flat(target: APIRouter, source: APIRouter) -> None:
    """Add every route of `source` to `target` (which prefixes the path and prepends its dependencies, as
    for a route declared on it). `source` must hold only path operations, which all of ours do."""
    for route in source.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"include_flat copies path operations only, not {type(route).__name__}")
        target.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=list(route.dependencies),
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=dict(route.responses),
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=type(route),
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
        )


class RouteIndex:
    """Finds a request's route among the few that could match it, not by trying all 364 in turn.

    Starlette tries every route's regular expression in order until one matches: 60 µs for a ballot,
    215 µs for the public board (the 250th route), on every request. A route can only match a path whose
    segments agree with its own up to its first parameter that is not a whole segment:
    `/v/{slug}/board` only `/v/<anything>/board`. So the routes sit in a tree of those segments (a whole
    segment's parameter as a branch that takes any segment), and a request walks the tree by its own
    path: the routes met on the way, in the app's order, are the only ones that can match. The router
    itself then runs over that short list, with everything it does on a match. A path that none of them
    matches in full (a 404, a wrong method's 405, a redirect to the address with or without its last
    slash) goes through the router's whole list, so every answer is the one the router alone would give.
    The tree is rebuilt if routes are added."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.whole = router.app  # the router over every route, as Starlette would run it
        self.built_for = -1
        self.root = _Node()
        self.views: dict[tuple[int, ...], APIRouter] = {}

    def _build(self) -> None:
        root = _Node()
        for position, route in enumerate(self.router.routes):
            node = root
            for segment in _segments(route):
                node = node.children.setdefault(segment, _Node())
            node.here.append((position, route))
        self.root, self.views, self.built_for = root, {}, len(self.router.routes)

    def view(self, path: str) -> APIRouter | None:
        """The router over just the routes that could match `path`, or None when there are none."""
        if self.built_for != len(self.router.routes):
            self._build()
        reached = [self.root]
        frontier = [self.root]
        for segment in path[1:].split("/"):
            ahead = []
            for node in frontier:
                for child in (node.children.get(segment), node.children.get(ANY_SEGMENT)):
                    if child is not None:
                        ahead.append(child)
            if not ahead:
                break
            reached += ahead
            frontier = ahead
        key = tuple(id(node) for node in reached)
        view = self.views.get(key)
        if view is None and key not in self.views:
            placed = sorted((pair for node in reached for pair in node.here), key=lambda pair: pair[0])
            if placed:
                view = copy.copy(self.router)
                view.routes = [route for _, route in placed]
            self.views[key] = view
        return view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = self.view(get_route_path(scope)) if scope["type"] == "http" else None
        if view is not None:
            for route in view.routes:
                if route.matches(scope)[0] is Match.FULL:
                    scope.setdefault("router", self.router)  # url_for looks in the whole router
                    await view.app(scope, receive, send)
                    return
        await self.whole(scope, receive, send)


ANY_SEGMENT = "/"  # a tree's branch for a whole segment's parameter: no segment of a path holds a slash
_WHOLE_SEGMENT_PARAMETER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*(:(str|int|float|uuid))?\}")


class _Node:
    __slots__ = ("children", "here")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.here: list[tuple[int, BaseRoute]] = []


def _segments(route: BaseRoute) -> list[str]:
    """The segments of a route's path as the tree spells them, up to the first that is neither a literal
    nor one whole parameter (a path parameter may span slashes): `/v/{slug}/proposals/{pid}` → v, any,
    proposals, any. A mount's path is its prefix. A route without a path (a host) sits at the root and is
    tried for every request."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return []
    segments = []
    for segment in path[1:].split("/"):
        if _WHOLE_SEGMENT_PARAMETER.fullmatch(segment):
            segments.append(ANY_SEGMENT)
        elif "{" in segment:
            break
        else:
            segments.append(segment)
    return segments


def index_routes(router: APIRouter) -> None:
    """Route the router's requests through a `RouteIndex` of its routes."""
    router.middleware_stack = RouteIndex(router)
