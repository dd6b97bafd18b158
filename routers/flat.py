"""One flat list of routes for the app, instead of routers nested in routers.

`include_router` in today's FastAPI keeps each included router as a node that is searched at request
time, and searched again at every level on the way down: with the API's 28 feature routers inside
`/api/v1` and the pages' 30 inside the web router, finding a route cost 0.3 ms (a ballot) to 1.1 ms (the
public board) before any handler ran. `include_flat` copies a router's routes into another the way
`include_router` did before it became lazy: every route keeps its path, endpoint, dependencies,
response model, documentation and route class, and gains the target's prefix, dependencies, tags,
responses and schema visibility. The
app then matches a request against one list, in the order the routers were included.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


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
