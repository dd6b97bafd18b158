"""create_app(): the ASGI app factory (`uvicorn --factory app.main:create_app`)."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import anyio.to_thread
import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from app import __version__
from app.config import ROOT, Settings, get_settings
from app.db import DatabaseRefused, hold_serve_lock, make_engine, startup_check

COMPRESS_FROM_BYTES = 1024  # smaller answers gain too little to pay for the compression

log = logging.getLogger("cunyi")


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Start-up: hold the serving lock (restore refuses while it is held), check the database once, and
    start the scheduler of timed jobs (services/jobs.py)."""
    settings: Settings = app.state.settings
    lock = None
    try:
        lock = hold_serve_lock(settings.database_url)
        if settings.startup_check and not getattr(app.state, "database_checked", False):
            startup_check(app.state.engine)
            app.state.database_checked = True  # once per process, however many test clients enter
    except DatabaseRefused as refused:
        log.error("%s", refused)
        if lock is not None:
            lock.close()
        raise
    # the thread pool that runs sync handlers and dependencies, sized by CUNYI_THREADS (app/config.py)
    anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, settings.threads)
    scheduler = None
    if settings.scheduler:
        from app.services import jobs

        scheduler = jobs.start_scheduler(app.state.engine, settings)
    if settings.gc_freeze:
        quiet_collector()
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if lock is not None:
            lock.close()


def quiet_collector() -> None:
    """What start-up built lives as long as the process: after one last collection it is frozen, so the
    collector's full passes walk only what requests leave behind (gc.freeze), and young garbage is
    collected every 10,000 allocations rather than 700 (each pass then finds more to free, at the same
    cost). Measured with bench/cast.py: full passes over the app paused every request in flight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="村议 Cunyi API",
        version=__version__,
        description="村民自治：一事一议、表决与三公开。错误以 RFC 9457 problem+json 返回，detail 为中文。",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # routers/docs.py serves /docs with Swagger UI's files from this site
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    settings.resolved_secret_key()
    from routers.docs import SWAGGER_ASSETS, HeadAsGet, install_openapi
    from routers.docs import router as docs_router
    from routers.errors import install_error_handlers
    from routers.limits import BodyLimit
    from routers.security import SecurityHeaders, TrustedHosts

    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyLimit, body_max_bytes=settings.body_max_bytes,
                       upload_max_bytes=settings.upload_max_bytes)
    if settings.base_url:  # behind a public address, a forged Host header gets nowhere
        app.add_middleware(TrustedHosts, allowed=[urlsplit(settings.base_url).hostname or "", "127.0.0.1",
                                                  "localhost"])
    app.add_middleware(SecurityHeaders)
    # Pages and answers go out compressed to clients that ask (every browser): a matter's page of 300
    # comments is 151 KB as HTML and 15 KB on a phone's slow line. Level 3 takes 0.4 ms for that page
    # (level 6 saves 2 KB more for twice the time), on the event loop up to 1 MiB rather than a thread
    # hop; images, archives and spreadsheets are left as they are.
    app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM_BYTES, compresslevel=3,
                       thread_minimum_size=1024 * 1024)
    app.add_middleware(HeadAsGet)  # pages (and the API's GETs) answer HEAD
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static")

    from app.services import flows
    from routers.api import api_router
    from routers.flat import include_flat, index_routes
    from routers.web import web_router

    flows.register()  # where features meet
    for router in (api_router, docs_router, web_router):  # one flat list of routes (routers/flat.py)
        include_flat(app.router, router)
    index_routes(app.router)  # a request tries only the routes its path could match
    return app
