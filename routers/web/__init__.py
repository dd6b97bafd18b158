"""HTML pages. Every request passes the input guard and every unsafe one the CSRF check before its handler runs."""

from fastapi import APIRouter, Depends

from routers.deps import web_guard
from routers.flat import include_flat
from routers.web import admin, audit, auth, home, members, roster, rules

web_router = APIRouter(dependencies=[Depends(web_guard)],
                       include_in_schema=False)
for module in (home, auth, members, audit, admin, roster, rules):
    include_flat(web_router, module.router)
from routers.web import comments as _comments, proposals as _proposals  # noqa: E402, I001
from routers.web import attachments as _attachments, notifications as _notifications  # noqa: E402, I001
from routers.web import village_settings as _village_settings  # noqa: E402

for module in (_proposals, _comments, _attachments, _village_settings, _notifications):
    include_flat(web_router, module.router)
from routers.web import ballots as _ballots, councils as _councils  # noqa: E402, I001
from routers.web import paper_tallies as _paper_tallies, votes as _votes  # noqa: E402, I001

for module in (_councils, _votes, _ballots, _paper_tallies):
    include_flat(web_router, module.router)
from routers.web import board as _board, notices as _notices  # noqa: E402, I001
from routers.web import objections as _objections, townships as _townships  # noqa: E402, I001

for module in (_board, _notices, _objections, _townships):  # the board's /notices/manage before /notices/{nid}
    include_flat(web_router, module.router)
from routers.web import books as _books, vouchers as _vouchers  # noqa: E402, I001
from routers.web import assets as _assets, funds as _funds  # noqa: E402, I001
from routers.web import decision_files as _decision_files  # noqa: E402

for module in (_books, _vouchers, _funds, _assets, _decision_files):
    include_flat(web_router, module.router)
from routers.web import cases as _cases  # noqa: E402

include_flat(web_router, _cases.router)
from routers.web import filings as _filings  # noqa: E402

include_flat(web_router, _filings.router)
from routers.web import exports as _exports  # noqa: E402

include_flat(web_router, _exports.router)
from routers.web import village_rules as _village_rules  # noqa: E402

include_flat(web_router, _village_rules.router)
from routers.web import meetings as _meetings  # noqa: E402

include_flat(web_router, _meetings.router)
from routers.web import assisted as _assisted  # noqa: E402

include_flat(web_router, _assisted.router)
