"""create_app(): the ASGI app factory (`uvicorn --factory app.main:create_app`)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.config import ROOT, Settings, get_settings
from app.db import make_engine


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="村议 Cunyi API",
        version=__version__,
        description="村民自治：一事一议、表决与三公开。错误以 RFC 9457 problem+json 返回，detail 为中文。",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    settings.resolved_secret_key()
    from routers.errors import install_error_handlers
    from routers.limits import BodyLimit
    from routers.security import SecurityHeaders

    install_error_handlers(app)
    app.add_middleware(BodyLimit, body_max_bytes=settings.body_max_bytes,
                       upload_max_bytes=settings.upload_max_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")

    from app.services import flows
    from routers.api import api_router
    from routers.web import web_router

    flows.register()  # where features meet
    app.include_router(api_router)
    app.include_router(web_router)
    return app
