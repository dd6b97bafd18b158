"""HTML pages. Every unsafe request is CSRF-checked before its handler runs."""

from fastapi import APIRouter, Depends

from routers.deps import web_csrf
from routers.web import admin, audit, auth, home, members, roster

web_router = APIRouter(dependencies=[Depends(web_csrf)], include_in_schema=False)
for module in (home, auth, members, audit, admin, roster):
    web_router.include_router(module.router)
from routers.web import comments as _comments, proposals as _proposals  # noqa: E402, I001

for module in (_proposals, _comments):
    web_router.include_router(module.router)
from routers.web import votes as _votes  # noqa: E402

web_router.include_router(_votes.router)
from routers.web import notices as _notices  # noqa: E402

web_router.include_router(_notices.router)
