"""JSON API under /api/v1."""

from fastapi import APIRouter, Depends

from routers.api import attachments, audit, auth, comments, members, notices, places, proposals, roster, votes
from routers.deps import api_csrf

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_csrf)])
for module in (auth, places, members, audit, roster, proposals, comments, attachments, votes, notices):
    api_router.include_router(module.router)
