"""What every site answers besides its pages: the API's documentation page at /docs, served whole from
here (Swagger UI's files come from the `swagger-ui-bundle-v2` package, mounted at /static/swagger-ui;
no CDN, no inline script, so the CSP stays strict), /favicon.ico, and HEAD for every GET; and what the
OpenAPI document says beyond FastAPI's own (`install_openapi`): the bearer token, and errors as
application/problem+json."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from app.config import ROOT
from routers.deps import CREDENTIAL_PATHS

SWAGGER_ASSETS = "/static/swagger-ui"
FAVICON_CACHE = "public, max-age=31536000"

router = APIRouter(include_in_schema=False)

BEARER = {"type": "http", "scheme": "bearer",
          "description": "POST /api/v1/auth/token 换来的令牌，放在请求头 Authorization: Bearer <令牌>。"
                         "不带令牌时按未登录处理：公开的内容照样能读，要登录的操作答 401。"}


def install_openapi(app) -> None:
    """The app's OpenAPI document, as FastAPI builds it, plus: the bearer scheme, on every operation as
    optional (anonymous callers read what is public; a service answers 401 where a login is needed, so
    which operations need one is said by their 401); and each error's schema under the media type the
    server sends, application/problem+json (FastAPI puts a response model under application/json)."""
    build = app.openapi

    def openapi() -> dict:
        if getattr(app.state, "openapi_done", False):
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if path not in CREDENTIAL_PATHS:  # credentials in the body: a phone and a password or a code
                    operation["security"] = [{"bearer": []}, {}]
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    problem = content.get("application/problem+json")
                    typed = content.get("application/json", {}).get("schema", {})
                    if problem is not None and typed.get("$ref", "").endswith("/Problem"):
                        content["application/problem+json"] = {"schema": typed}
                        del content["application/json"]
        app.openapi_schema, app.state.openapi_done = schema, True
        return schema

    app.openapi = openapi

DOCS_PAGE = f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>村议 Cunyi API 文档</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="{SWAGGER_ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="/api/v1/openapi.json">
<p>接口说明：<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>（OpenAPI 3.1）</p>
</div>
<script src="{SWAGGER_ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI over the API's schema, every file served by this site."""
    return HTMLResponse(DOCS_PAGE)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(ROOT / "static" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": FAVICON_CACHE})


class HeadAsGet:
    """Pure ASGI middleware: a HEAD request is answered as the GET of the same address would be, with
    the same status and headers and no body (FastAPI's routes answer GET only)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
