"""Roster import (名册导入): check a whole file against the rules and the database, then import it
all or nothing through `members.upsert_member`.

`dry_run` writes nothing; `import_roster` re-checks, writes every row, one summary audit event and
commits once — any problem and nothing changes. The shell (`cunyi import-roster`) calls both with
`system=True` and no actor: the audit trail then names no person and says the source was the CLI.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.config import Settings
from app.domain import text as text_rules
from app.domain.roles import COMMITTEE, VILLAGER
from app.domain.roster import FIELDS, ParsedRoster, RosterRecord, RowError, parse_roster
from app.models import MemberRole, Membership, User, Village
from app.services import audit, members, places, supervision
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, ServiceError

Progress = Callable[[int, int], None]

# Bound parameters per IN (...) query: well under SQLite's and PostgreSQL's limits.
CHUNK = 900


@dataclass
class RowView:
    """One row as the report page shows it: the text as typed and its problems."""

    row: int
    name: str
    phone: str
    problems: list[str] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return bool(self.problems)


@dataclass
class RosterReport:
    dry_run: bool
    total: int
    created: int = 0  # on a dry run: how many would be created
    updated: int = 0
    errors: list[dict] = field(default_factory=list)  # [{row, field, message}]
    activation: list[dict] = field(default_factory=list)  # [{user_id, name, phone, code, expires_at}]
    rows: list[RowView] = field(default_factory=list)
    sha256: str = ""
    kind: str = ""  # "csv" or "xlsx"
    # after an import: supervisory committee members who are on the committee or share a household with
    # one of its members (村民委员会组织法, 2025 edition), as the committee and the township are warned
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return sum(1 for r in self.rows if r.bad)

    @property
    def upload_id(self) -> str:
        return f"{self.sha256}.{self.kind}"


@dataclass(frozen=True)
class _System:
    """Stands in for the acting user when the shell imports: no person, so actor_id is None."""

    id: None = None


@dataclass
class _Existing:
    user_id: int
    village_id: int | None  # None: a user with no membership yet
    roles: set[str] = field(default_factory=set)


def _size_label(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.3g} MB"
    return f"{n / 1024:.3g} KB" if n >= 1024 else f"{n} 字节"


def _authorize(actor: Actor | None, village: Village, system: bool) -> Actor | _System:
    if system:
        if actor is not None:
            raise ValueError("a system import has no acting user")
        return _System()
    return require(actor, village, COMMITTEE)


def _parse(settings: Settings, filename: str, data: bytes) -> tuple[ParsedRoster, str]:
    if len(data) > settings.roster_max_bytes:
        raise Invalid(f"文件太大：名册文件最大 {_size_label(settings.roster_max_bytes)}", field="file")
    parsed = parse_roster(filename, data, today=clock.local_today())
    if parsed.file_error:
        raise Invalid(parsed.file_error, field="file")
    for rec in parsed.records:  # what is stored must show something and hold no control character
        cells = {"name": ("姓名", rec.name or None), "household": ("户号", rec.household),
                 "group": ("村民小组", rec.group)}
        for key, message in text_rules.problems(cells, required=frozenset({"name"} if rec.name else ())).items():
            rec.add(key, message)
    return parsed, hashlib.sha256(data).hexdigest()


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(session: Session, phones: list[str]) -> dict[str, _Existing]:
    """Users already registered under these phones, with their village and roles: two queries per chunk."""
    found: dict[str, _Existing] = {}
    for chunk in _chunks(phones):
        rows = session.execute(
            select(User.phone, User.id, Membership.id, Membership.village_id)
            .join(Membership, Membership.user_id == User.id, isouter=True)
            .where(User.phone.in_(chunk))
        ).all()
        by_membership: dict[int, _Existing] = {}
        for phone, user_id, membership_id, village_id in rows:
            found[phone] = _Existing(user_id=user_id, village_id=village_id)
            if membership_id is not None:
                by_membership[membership_id] = found[phone]
        if by_membership:
            for membership_id, role in session.execute(
                select(MemberRole.membership_id, MemberRole.role).where(
                    MemberRole.membership_id.in_(list(by_membership))
                )
            ).all():
                by_membership[membership_id].roles.add(role)
    return found


def _committee_phones(session: Session, village: Village) -> set[str]:
    return set(
        session.execute(
            select(User.phone)
            .join(Membership, Membership.user_id == User.id)
            .join(MemberRole, MemberRole.membership_id == Membership.id)
            .where(MemberRole.village_id == village.id, MemberRole.role == COMMITTEE)
        ).scalars()
    )


def _check(
    session: Session, village: Village, parsed: ParsedRoster, progress: Progress | None
) -> tuple[dict[str, _Existing], list[RowError], int, int]:
    """Database-level problems, without writing. Returns (existing, errors, would create, would update)."""
    phones = sorted({r.phone for r in parsed.records if r.ok})
    existing = _existing(session, phones)
    errors: list[RowError] = []
    created = updated = 0
    total = parsed.total
    for index, rec in enumerate(parsed.records, start=1):
        if rec.ok:
            known = existing.get(rec.phone)
            if known is not None and known.village_id not in (None, village.id):
                errors.append(RowError(rec.row, "phone", "这个手机号已登记为其他村的村民"))
            elif known is not None and known.village_id == village.id:
                updated += 1
            else:
                created += 1
        if progress:
            progress(index, total)
    errors += _committee_check(session, village, parsed, existing)
    return existing, errors, created, updated


def _committee_check(
    session: Session, village: Village, parsed: ParsedRoster, existing: dict[str, _Existing]
) -> list[RowError]:
    """The file must not leave the village without a committee member (they would be locked out)."""
    if not parsed.has_roles:
        return []
    committee = _committee_phones(session, village)
    demoted: list[RosterRecord] = []
    for rec in parsed.records:
        if rec.roles is None or not rec.ok:
            continue
        if COMMITTEE in rec.roles:
            committee.add(rec.phone)
        elif rec.phone in committee and existing.get(rec.phone) is not None:
            committee.discard(rec.phone)
            demoted.append(rec)
    if committee or not demoted:
        return []
    return [
        RowError(rec.row, "roles", "导入后村里将没有村委会成员：请至少给一人保留“村委会”角色")
        for rec in demoted
    ]


def _errors_sorted(parsed: ParsedRoster, db_errors: list[RowError]) -> list[RowError]:
    order = {key: i for i, key in enumerate(FIELDS)}
    return sorted(parsed.errors + db_errors, key=lambda e: (e.row, order.get(e.field, 99)))


def _rows(parsed: ParsedRoster, errors: list[RowError]) -> list[RowView]:
    problems: dict[int, list[str]] = {}
    for e in errors:
        problems.setdefault(e.row, []).append(e.message)
    return [RowView(r.row, r.name, r.phone_raw, problems.get(r.row, [])) for r in parsed.records]


def dry_run(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    village: Village,
    filename: str,
    data: bytes,
    *,
    progress: Progress | None = None,
    system: bool = False,
) -> RosterReport:
    """Check a roster and report every problem by row; `created`/`updated` say what an import would do."""
    _authorize(actor, village, system)
    parsed, digest = _parse(settings, filename, data)
    _, db_errors, created, updated = _check(session, village, parsed, progress)
    errors = _errors_sorted(parsed, db_errors)
    return RosterReport(
        dry_run=True,
        total=parsed.total,
        created=created,
        updated=updated,
        errors=[e.as_dict() for e in errors],
        rows=_rows(parsed, errors),
        sha256=digest,
        kind=parsed.kind or "",
    )


def import_roster(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    village: Village,
    filename: str,
    data: bytes,
    *,
    progress: Progress | None = None,
    system: bool = False,
) -> RosterReport:
    """Import every row or none: any problem raises Invalid(errors=[{row, field, message}])."""
    acting = _authorize(actor, village, system)
    parsed, digest = _parse(settings, filename, data)
    try:
        existing, db_errors, _, _ = _check(session, village, parsed, None)
        errors = _errors_sorted(parsed, db_errors)
        if errors:
            raise Invalid(
                f"名册有 {len({e.row for e in errors})} 行有问题，没有导入任何数据：请改正后重新上传",
                errors=[e.as_dict() for e in errors],
            )
        report = RosterReport(dry_run=False, total=parsed.total, sha256=digest, kind=parsed.kind or "",
                              rows=_rows(parsed, []))
        cache: dict = {}
        for index, rec in enumerate(parsed.records, start=1):
            known = existing.get(rec.phone)
            roles = rec.roles
            if roles is None:  # no 角色 column: keep what people already hold
                roles = sorted(known.roles) if known is not None and known.village_id == village.id else [VILLAGER]
            data_in = members.MemberIn(
                name=rec.name, phone=rec.phone, birth_date=rec.birth_date, gender=rec.gender,
                household=rec.household, group=rec.group, roles=roles or [VILLAGER],
                household_head=rec.household_head,
            )
            try:
                result = members.upsert_member(session, settings, acting, village, data_in, cache=cache,
                                               source="roster")
            except ServiceError as exc:  # someone changed the data since the check
                raise Invalid(
                    f"第 {rec.row} 行导入失败，没有导入任何数据：{exc.detail}",
                    errors=[{"row": rec.row, "field": exc.field or "phone", "message": exc.detail}],
                ) from exc
            if result.created:
                report.created += 1
            else:
                report.updated += 1
            if result.code:
                report.activation.append({
                    "user_id": result.user.id, "name": result.user.name, "phone": result.user.phone,
                    "code": result.code, "expires_at": result.code_expires_at,
                })
            if progress:
                progress(index, parsed.total)
        today = clock.local_today()
        report.warnings = sorted({o.warning(today) for o in supervision.overlaps(session, village.id)})
        audit.record(
            session,
            village_id=village.id,
            actor_id=acting.id,
            action="roster.import",
            entity="village",
            entity_id=village.id,
            data={"file_sha256": digest, "rows": parsed.total, "created": report.created,
                  "updated": report.updated, "source": "cli" if system else "web"},
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("导入时名册数据被别人同时修改了，没有导入任何数据：请重试") from exc
    except BaseException:
        session.rollback()
        raise
    return report



# --- the web import: a checked file waits for the committee's confirmation --------------------

KEEP_SECONDS = 24 * 3600  # unconfirmed uploads are swept after a day


def village_for_import(session: Session, actor: Actor | None, slug: str) -> Village:
    """The village in the address, for its committee's roster pages."""
    village = places.get_village_by_slug(session, slug)
    require(actor, village, COMMITTEE)
    return village


def _pending_dir(settings: Settings, village: Village) -> Path:
    return settings.upload_dir / "roster" / str(village.id)


def keep_pending(settings: Settings, village: Village, report: RosterReport, data: bytes) -> None:
    """Keep a checked file under UPLOAD_DIR/roster/<village id>/<sha256>.<csv|xlsx> until it is
    confirmed; files older than KEEP_SECONDS are swept on the way."""
    folder = _pending_dir(settings, village)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    (folder / report.upload_id).write_bytes(data)


def pending(settings: Settings, village: Village, upload_id: str) -> bytes | None:
    """The kept file of `upload_id` (a checked `<sha256>.<kind>`), or None when gone or altered."""
    path = _pending_dir(settings, village) / upload_id
    data = path.read_bytes() if path.is_file() else None
    if data is None or hashlib.sha256(data).hexdigest() != upload_id.split(".")[0]:
        return None
    return data


def drop_pending(settings: Settings, village: Village, upload_id: str) -> None:
    (_pending_dir(settings, village) / upload_id).unlink(missing_ok=True)
