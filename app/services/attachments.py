"""Attachments (附件): files on proposals, notices and votes (later: vouchers).

A file is accepted by what it *is* (its magic bytes), never by its name or the content type the
client claims: images (JPEG, PNG, GIF, WebP), PDF and Office documents (OOXML docx/xlsx/pptx, legacy
OLE2 doc/xls/ppt). Plain text, HTML, SVG, archives and programs are refused, and so are Office files
carrying macros. At most `MAX_BYTES` (10 MB).

Bytes are stored once per content under `upload_dir/files/<sha[:2]>/<sha>` (written to a temp file
in the same folder and renamed into place, so a reader never sees half a file); the database row
keeps the sanitized name, the detected type, the size and the hash.

Who may attach and who may see is decided by the owner: each owner module declares its
`ATTACHMENT_OWNER` rules and services/flows.py registers them here, so this module imports none of
its owners and a new owner (vouchers) plugs in with one line in flows. Outside the owner's scope an attachment does not
exist (404), like everything else.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from app.config import Settings
from app.models import Attachment
from app.services import audit, places
from app.services.access import Actor, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

MAX_BYTES = 10 * 1024 * 1024  # 10 MB per file
MAX_PER_OWNER = 30  # files on one proposal or notice: bounds the disk a single author can fill
FILENAME_MAX = 200
DEFAULT_NAME = "附件"
WRONG_TYPE = "只能上传图片、PDF 或 Office 文档"


class TooLarge(ServiceError):
    status = 413
    title = "文件太大"


def too_large_message() -> str:
    return f"文件太大：附件最大 {MAX_BYTES // (1024 * 1024)} MB"


# --- what a file is ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # the safe extension for downloads, with its dot
    label: str  # in Chinese

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


JPEG = FileType("image/jpeg", ".jpg", "JPEG 图片")
PNG = FileType("image/png", ".png", "PNG 图片")
GIF = FileType("image/gif", ".gif", "GIF 图片")
WEBP = FileType("image/webp", ".webp", "WebP 图片")
PDF = FileType("application/pdf", ".pdf", "PDF 文档")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word 文档")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel 表格")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx",
                "PowerPoint 演示文稿")
DOC = FileType("application/msword", ".doc", "Word 文档")
XLS = FileType("application/vnd.ms-excel", ".xls", "Excel 表格")
PPT = FileType("application/vnd.ms-powerpoint", ".ppt", "PowerPoint 演示文稿")

TYPES: tuple[FileType, ...] = (JPEG, PNG, GIF, WEBP, PDF, DOCX, XLSX, PPTX, DOC, XLS, PPT)
# Other names a type's files commonly carry (kept when the user's name already uses one).
_ALSO = {".jpeg": JPEG, ".jpe": JPEG}

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# OLE2 directory entries are UTF-16LE names; the main stream tells which program wrote the file.
_OLE2_STREAMS = ((DOC, "WordDocument"), (XLS, "Workbook"), (PPT, "PowerPoint Document"))
_OLE2_MACROS = ("_VBA_PROJECT", "Macros")
_OOXML_PARTS = ((DOCX, "word/"), (XLSX, "xl/"), (PPTX, "ppt/"))
MACROS = "不接受带宏的 Office 文档，请另存为不含宏的格式（如 .docx、.xlsx）后再上传"


class Refused(ValueError):
    """The content is not an allowed file; the message says why, in Chinese."""


def sniff(data: bytes) -> FileType:
    """What the bytes are, by their content alone. Raises `Refused` for anything not allowed."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _ooxml(data)
    if head.startswith(_OLE2_MAGIC):
        return _ole2(data)
    raise Refused(WRONG_TYPE)


def _ooxml(data: bytes) -> FileType:
    """A ZIP is an Office document when it carries [Content_Types].xml and the program's folder.

    Only the central directory (the entry names) is read, never an entry's contents: a zip bomb
    costs nothing here.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise Refused(WRONG_TYPE) from exc
    if "[Content_Types].xml" not in names:
        raise Refused(WRONG_TYPE)
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise Refused(MACROS)
    for kind, folder in _OOXML_PARTS:
        if any(name.startswith(folder) for name in names):
            return kind
    raise Refused(WRONG_TYPE)


def _ole2(data: bytes) -> FileType:
    """Legacy Office (compound file): recognised by its main stream's name; other compound files
    (installers, mail messages) are refused."""
    if any(name.encode("utf-16-le") in data for name in _OLE2_MACROS):
        raise Refused(MACROS)
    for kind, stream in _OLE2_STREAMS:
        if stream.encode("utf-16-le") in data:
            return kind
    raise Refused(WRONG_TYPE)


# --- names ---------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def clean_filename(name: str | None, kind: FileType | None = None) -> str:
    """The name shown to people: no folders, no control or direction-changing characters, Chinese
    kept, at most 200 characters; with `kind`, it ends in an extension that matches the content."""
    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    text = _SPACES.sub(" ", text).strip().lstrip(".").strip()
    if kind is not None:
        text = _with_extension(text, kind)
    elif len(text) > FILENAME_MAX:
        text = text[:FILENAME_MAX]
    return text or DEFAULT_NAME


def _with_extension(text: str, kind: FileType) -> str:
    match = _EXTENSION.search(text)
    suffix = match.group(0).lower() if match else ""
    if suffix == kind.extension or _ALSO.get(suffix) is kind:
        stem, ext = text[: -len(suffix)], text[-len(suffix):]
    else:
        # a wrong or missing extension is replaced by the one the content calls for
        stem, ext = (text[: -len(suffix)] if suffix else text), kind.extension
    stem = stem.rstrip(" .")[: FILENAME_MAX - len(ext)].rstrip(" .") or DEFAULT_NAME
    return stem + ext


# --- storage -------------------------------------------------------------------------------------

_SHA = re.compile(r"^[0-9a-f]{64}$")


def path_of(settings: Settings, sha256: str) -> Path:
    if not _SHA.match(sha256):
        raise NotFound("找不到这个附件")
    return settings.upload_dir / "files" / sha256[:2] / sha256


def store(settings: Settings, data: bytes) -> tuple[str, Path]:
    """Write the bytes under their hash, once. Returns (sha256, path)."""
    sha = hashlib.sha256(data).hexdigest()
    path = path_of(settings, sha)
    if path.is_file() and path.stat().st_size == len(data):
        return sha, path  # the same content is already stored
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, path


# --- owners --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OwnerRules:
    """How one kind of owner answers for its attachments. Both return the owner's village id.

    `see`: raise NotFound (or Unauthorized) unless the actor may see the owner.
    `attach`: raise as `see`, then Forbidden / Conflict unless the actor may add a file now.
    """

    label: str  # in Chinese, for messages
    see: Callable[[Session, Actor | None, int], int]
    attach: Callable[[Session, Actor | None, int], int]


# Filled once by services/flows.register() from what each owner module declares
# (`proposals.ATTACHMENT_OWNER`, `notices.ATTACHMENT_OWNER`, `votes.ATTACHMENT_OWNER`).
OWNERS: dict[str, OwnerRules] = {}


def register_owner(owner_type: str, rules: OwnerRules) -> None:
    OWNERS[owner_type] = rules


def _rules(owner_type: str) -> OwnerRules:
    rules = OWNERS.get(owner_type)
    if rules is None:
        raise Invalid("不能给这类内容添加附件", field="owner_type")
    return rules


# --- use cases -----------------------------------------------------------------------------------

def add(session: Session, settings: Settings, actor: Actor | None, owner_type: str, owner_id: int,
        filename: str | None, data: bytes) -> Attachment:
    """Check who may attach, then what the file is; store it and record it (audited, committed)."""
    rules = _rules(owner_type)
    village_id = rules.attach(session, actor, owner_id)
    actor = require_login(actor)
    if not data:
        raise Invalid("文件是空的，请重新选择", field="file")
    if len(data) > MAX_BYTES:
        raise TooLarge(too_large_message(), field="file")
    try:
        kind = sniff(data)
    except Refused as exc:
        raise Invalid(str(exc), field="file") from exc
    count = session.execute(
        select(func.count(Attachment.id)).where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
    ).scalar_one()
    if count >= MAX_PER_OWNER:
        raise Conflict(f"每个{rules.label}最多 {MAX_PER_OWNER} 个附件")
    name = clean_filename(filename, kind)
    sha, _ = store(settings, data)  # the file first: a failed commit leaves an unused file, never a dangling row
    attachment = Attachment(village_id=village_id, owner_type=owner_type, owner_id=owner_id, filename=name,
                            content_type=kind.content_type, size=len(data), sha256=sha, uploaded_by=actor.id)
    session.add(attachment)
    session.flush()
    audit.record(session, village_id=village_id, actor_id=actor.id, action="attachment.add", entity="attachment",
                 entity_id=attachment.id,
                 data={"owner": {"type": owner_type, "id": owner_id}, "filename": name, "size": len(data),
                       "sha256": sha, "content_type": kind.content_type})
    session.commit()
    return attachment


def list_for(session: Session, owner_type: str, owner_id: int) -> list[Attachment]:
    """An owner's attachments, oldest first (one query; the caller has checked visibility)."""
    return list(session.execute(
        select(Attachment)
        .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.created_at, Attachment.id)
    ).scalars())


def list_visible(session: Session, actor: Actor | None, owner_type: str, owner_id: int) -> list[Attachment]:
    """An owner's attachments for someone who may see the owner (else 404)."""
    _rules(owner_type).see(session, actor, owner_id)
    return list_for(session, owner_type, owner_id)


def get_for_download(session: Session, settings: Settings, actor: Actor | None, attachment_id: int
                     ) -> tuple[Attachment, Path]:
    """The attachment and its file, for someone who may see its owner; 404 otherwise."""
    attachment = session.get(Attachment, attachment_id)
    rules = OWNERS.get(attachment.owner_type) if attachment is not None else None
    if attachment is None or rules is None:
        raise NotFound("找不到这个附件")
    try:
        village_id = rules.see(session, actor, attachment.owner_id)
    except (NotFound, Forbidden) as exc:
        raise NotFound("找不到这个附件") from exc
    if village_id != attachment.village_id:
        raise NotFound("找不到这个附件")
    path = path_of(settings, attachment.sha256)
    if not path.is_file():
        raise NotFound("附件文件丢失了，请联系村委会重新上传")
    return attachment, path


def get_for_download_in(session: Session, settings: Settings, actor: Actor | None, slug: str, attachment_id: int
                        ) -> tuple[Attachment, Path]:
    """As `get_for_download`, through the village in the address (another village's file: 404)."""
    village = places.get_village_by_slug(session, slug)
    attachment, path = get_for_download(session, settings, actor, attachment_id)
    if attachment.village_id != village.id:
        raise NotFound("找不到这个附件")
    return attachment, path


def type_of(attachment: Attachment) -> FileType | None:
    return next((t for t in TYPES if t.content_type == attachment.content_type), None)
