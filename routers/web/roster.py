"""Roster import pages: upload → per-row report → confirm → printable activation codes.

Between the check and the confirmation the uploaded file waits under
UPLOAD_DIR/roster/<village id>/<sha256>.<csv|xlsx>; the confirm form names it by that id only.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain.roster import EXAMPLE_CSV
from app.services import places, roster
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, SettingsDep
from routers.templating import render

router = APIRouter()

UPLOAD_ID_RE = re.compile(r"^[0-9a-f]{64}\.(csv|xlsx)$")
# Past this many rows the report lists only the rows with problems.
FULL_REPORT_ROWS = 1000


def _upload_form(request: Request, village, error: str | None = None, status: int = 200) -> Response:
    return render(request, "members/roster.html", {"village": village, "error": error},
                  status_code=status)


def _report_page(request: Request, village, report: roster.RosterReport, status: int = 200) -> Response:
    rows = report.rows if report.total <= FULL_REPORT_ROWS else [r for r in report.rows if r.bad]
    return render(request, "members/roster_report.html", {
        "village": village, "report": report, "rows": rows, "only_bad": len(rows) < report.total,
    }, status_code=status)


@router.get("/v/{slug}/roster")
def roster_form(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _upload_form(request, roster.village_for_import(db, actor, slug))


@router.get("/v/{slug}/roster/example.csv")
def roster_example(slug: str, db: DbSession):
    """The example roster (fictional people), the same bytes as docs/roster-example.csv."""
    places.get_village_by_slug(db, slug)
    return Response(EXAMPLE_CSV, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=\"roster-example.csv\"; filename*=UTF-8''%E5%90%8D%E5%86%8C"
                               "%E7%A4%BA%E4%BE%8B.csv",
    })


@router.post("/v/{slug}/roster")
async def roster_check(slug: str, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    village = roster.village_for_import(db, actor, slug)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_form(request, village, "请选择要上传的名册文件（CSV 或 XLSX）", 422)
    data = await upload.read(settings.roster_max_bytes + 1)
    try:
        report = await run_in_threadpool(roster.dry_run, db, settings, actor, village, upload.filename, data)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _upload_form(request, village, exc.detail, exc.status)
    if report.ok:
        await run_in_threadpool(roster.keep_pending, settings, village, report, data)
    return _report_page(request, village, report)


@router.post("/v/{slug}/roster/confirm")
async def roster_confirm(slug: str, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    village = roster.village_for_import(db, actor, slug)
    upload_id = str(form.get("upload_id") or "")
    if not UPLOAD_ID_RE.fullmatch(upload_id):
        return _upload_form(request, village, "上传编号无效，请重新上传名册", 400)
    data = roster.pending(settings, village, upload_id)
    if data is None:
        return _upload_form(request, village, "上传的名册已过期或已经导入过了，请重新上传", 410)
    filename = f"roster.{upload_id.rsplit('.', 1)[1]}"
    try:
        report = await run_in_threadpool(roster.import_roster, db, settings, actor, village, filename, data)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        if not exc.errors:
            roster.drop_pending(settings, village, upload_id)
            return _upload_form(request, village, exc.detail, exc.status)
        # The data changed since the check: show the fresh report (no confirm button when it has problems).
        fresh = await run_in_threadpool(roster.dry_run, db, settings, actor, village, filename, data)
        if not fresh.ok:
            roster.drop_pending(settings, village, upload_id)
        return _report_page(request, village, fresh, exc.status)
    roster.drop_pending(settings, village, upload_id)
    return render(request, "members/codes.html", {
        "village": village,
        "codes": report.activation,
        "warnings": report.warnings,
        "message": f"导入完成：新增 {report.created} 人，更新 {report.updated} 人",
    })
