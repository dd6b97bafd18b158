"""Attachments through the API: types checked by content, storage by hash, downloads scoped like the
proposal they belong to, and every refusal (wrong type, empty, too large, other village, wrong person,
wrong stage). The first tests are pure checks of the sniffer and the name cleaner."""

from __future__ import annotations

import io
import secrets
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select, update

from app.models import Attachment, AuditEvent, Proposal
from app.services import attachments as service
from tests.factories import bearer, pdf, png

WRONG_TYPE = "只能上传图片、PDF 或 Office 文档"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- small valid files, unique per call (so tests never share a stored file) ---------------------

def ooxml(folder: str = "word", main: str = "document.xml", extra: dict[str, bytes] | None = None,
          content_types: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if content_types:
            z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                              'package/2006/content-types"/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(f"{folder}/{main}", f"<document><body>{secrets.token_hex(8)}</body></document>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    return ooxml()


def ole2(stream: str) -> bytes:
    """Enough of a compound file for the sniffer: the magic and a directory entry's UTF-16 name."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + stream.encode("utf-16-le") + secrets.token_bytes(16)


# --- pure checks ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "expected"), [
    (png(), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 10, "image/gif"),
    (b"GIF87a\x01\x00\x01\x00" + b"\x00" * 10, "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    (pdf(), "application/pdf"),
    (docx(), DOCX_TYPE),
    (ooxml("xl", "workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (ooxml("ppt", "presentation.xml"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (ole2("WordDocument"), "application/msword"),
    (ole2("Workbook"), "application/vnd.ms-excel"),
    (ole2("PowerPoint Document"), "application/vnd.ms-powerpoint"),
])
def test_sniff_recognises_allowed_content(data, expected):
    assert service.sniff(data).content_type == expected


@pytest.mark.parametrize(("data", "message"), [
    (b"just some plain text\n", WRONG_TYPE),
    (b"<!doctype html><script>alert(1)</script>", WRONG_TYPE),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', WRONG_TYPE),
    (b"MZ\x90\x00" + b"\x00" * 60, WRONG_TYPE),  # a Windows program
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", WRONG_TYPE),  # RIFF, but sound
    (b" %PDF-1.4 not at the start", WRONG_TYPE),
    (ooxml(content_types=False), WRONG_TYPE),  # a plain zip with a word/ folder
    (ooxml("other", "x.xml"), WRONG_TYPE),  # [Content_Types].xml but no Office part
    (b"PK\x03\x04 broken zip", WRONG_TYPE),
    (ole2("__properties_version1.0"), WRONG_TYPE),  # an Outlook message, not a document
    (ooxml(extra={"word/vbaProject.bin": b"\x00" * 10}), service.MACROS),
    (ole2("WordDocument") + "Macros".encode("utf-16-le"), service.MACROS),
])
def test_sniff_refuses_everything_else(data, message):
    with pytest.raises(service.Refused) as refused:
        service.sniff(data)
    assert str(refused.value) == message


def test_sniff_reads_only_the_zip_directory():
    # a 100 MB bomb compressed to ~100 KB: only the entry names are read, so this is instant
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (100 * 1024 * 1024))
    assert len(buf.getvalue()) < 1024 * 1024
    assert service.sniff(buf.getvalue()).extension == ".docx"


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("村道照片.png", service.PNG, "村道照片.png"),
    ("../../etc/passwd.png", service.PNG, "passwd.png"),
    ("C:\\Users\\张三\\桌面\\预算.pdf", service.PDF, "预算.pdf"),
    ("报告\x00\x07\n.pdf", service.PDF, "报告.pdf"),
    ("invoice\u202egnp.exe", service.PNG, "invoicegnp.png"),  # right-to-left override removed, type enforced
    ("notes.txt", service.PDF, "notes.pdf"),  # the content decides the extension
    ("照片", service.JPEG, "照片.jpg"),
    ("photo.JPEG", service.JPEG, "photo.JPEG"),
    ("", service.PDF, "附件.pdf"),
    (None, service.PNG, "附件.png"),
    ("...", service.PNG, "附件.png"),
    ("  多个   空格  .docx ", service.DOCX, "多个 空格.docx"),
    (None, None, "附件"),
])
def test_clean_filename(name, kind, expected):
    assert service.clean_filename(name, kind) == expected


def test_clean_filename_keeps_200_characters_and_the_extension():
    name = service.clean_filename("村" * 300 + ".pdf", service.PDF)
    assert len(name) == 200 and name.endswith("村.pdf")
    assert len(service.clean_filename("a" * 300)) == 200


# --- through the API -----------------------------------------------------------------------------

class People:
    """A village with an author, another villager and the committee; bearer headers cached."""

    def __init__(self, client, world):
        self.client = client
        self.world = world
        self.village = world.village()
        self.author = world.member(self.village, name="提议人")
        self.other = world.member(self.village, name="邻居")
        for i in range(8):  # enough adults that one co-signature is not enough (needs 2 of 11)
            world.member(self.village, name=f"村民{i}", password=None)
        self.committee = world.member(self.village, "committee", name="主任")
        self._headers: dict[int, dict] = {}

    def h(self, user) -> dict:
        if user.id not in self._headers:
            self._headers[user.id] = bearer(self.client, user)
        return self._headers[user.id]

    def draft(self, user=None) -> int:
        user = user or self.author
        r = self.client.post(f"/api/v1/villages/{self.village.id}/proposals", headers=self.h(user), json={
            "title": "修建村口路灯", "body": "安装 10 盏太阳能路灯。", "category": "facilities",
            "procedure": "yishiyiyi"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def submit(self, pid: int, user=None) -> str:
        r = self.client.post(f"/api/v1/proposals/{pid}/transitions", json={"action": "submit"},
                             headers=self.h(user or self.author))
        assert r.status_code == 200, r.text
        return r.json()["state"]

    def upload(self, pid: int, name: str, data: bytes, user=None, content_type: str = "application/octet-stream"):
        return self.client.post(f"/api/v1/proposals/{pid}/attachments", files={"file": (name, data, content_type)},
                                headers=self.h(user or self.author))


@pytest.fixture
def people(client, world) -> People:
    return People(client, world)


def test_upload_list_and_download_png_pdf_docx(people, client, settings):
    pid = people.draft()
    files = [("村道现状照片.png", png(), "image/png", "inline"),
             ("预算方案（2026年）.pdf", pdf(), "application/pdf", "attachment"),
             ("村民会议记录.docx", docx(), DOCX_TYPE, "attachment")]
    made = []
    for name, data, ctype, _ in files:
        r = people.upload(pid, name, data)
        assert r.status_code == 201, r.text
        body = r.json()
        assert set(body) == {"id", "filename", "content_type", "size", "sha256", "created_at", "url"}
        assert body["filename"] == name and body["content_type"] == ctype and body["size"] == len(data)
        assert body["url"] == f"/api/v1/attachments/{body['id']}"
        assert (settings.upload_dir / "files" / body["sha256"][:2] / body["sha256"]).read_bytes() == data
        made.append(body)

    listed = client.get(f"/api/v1/proposals/{pid}/attachments", headers=people.h(people.author))
    assert listed.status_code == 200 and listed.json() == {"items": made, "total": len(made), "page": 1, "per_page": 50}

    for (name, data, ctype, disposition), body in zip(files, made, strict=True):
        r = client.get(body["url"], headers=people.h(people.author))
        assert r.status_code == 200
        assert r.content == data
        assert r.headers["content-type"] == ctype
        cd = r.headers["content-disposition"]
        assert cd.startswith(f"{disposition}; ") and f"filename*=UTF-8''{quote(name, safe='')}" in cd
        assert cd.isascii()
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in r.headers["content-security-policy"]


def test_the_client_claims_nothing_the_content_decides(people):
    pid = people.draft()
    # a PNG sent as "text/html" named .txt is stored and served as a PNG named .png
    r = people.upload(pid, "picture.txt", png(), content_type="text/html")
    assert r.status_code == 201
    assert r.json()["content_type"] == "image/png" and r.json()["filename"] == "picture.png"


@pytest.mark.parametrize(("name", "data", "ctype", "status", "detail"), [
    ("通知.pdf", "这是一个文本文件，改了名字。\n".encode(), "application/pdf", 422, WRONG_TYPE),
    ("photo.png", b"<html><body><script>alert(document.cookie)</script></body></html>", "image/png", 422,
     WRONG_TYPE),
    ("空文件.pdf", b"", "application/pdf", 422, "文件是空的，请重新选择"),
    ("带宏.docx", ooxml(extra={"word/vbaProject.bin": b"\x00"}), DOCX_TYPE, 422, service.MACROS),
    ("too-big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (service.MAX_BYTES + 1 - 8), "image/png", 413,
     "文件太大：附件最大 10 MB"),
])
def test_refused_uploads_change_nothing(people, client, db, name, data, ctype, status, detail):
    pid = people.draft()
    before = db.execute(select(AuditEvent.seq).where(AuditEvent.village_id == people.village.id)
                        .order_by(AuditEvent.seq.desc())).scalars().first()
    listed = client.get(f"/api/v1/proposals/{pid}/attachments", headers=people.h(people.author)).json()["items"]
    r = people.upload(pid, name, data, content_type=ctype)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == detail
    assert r.json()["errors"] == [{"field": "file", "message": detail}]
    assert client.get(f"/api/v1/proposals/{pid}/attachments", headers=people.h(people.author)).json()["items"] == listed
    after = db.execute(select(AuditEvent.seq).where(AuditEvent.village_id == people.village.id)
                       .order_by(AuditEvent.seq.desc())).scalars().first()
    assert after == before


def test_exactly_ten_megabytes_is_accepted(people):
    pid = people.draft()
    data = png()
    data += b"\x00" * (service.MAX_BYTES - len(data))
    r = people.upload(pid, "大图.png", data)
    assert r.status_code == 201 and r.json()["size"] == service.MAX_BYTES


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(people):
    pid = people.draft()
    r = people.upload(pid, "huge.pdf", b"%PDF-1.4\n" + b"\x00" * (service.MAX_BYTES + 200 * 1024))
    assert r.status_code == 413 and r.json()["detail"] == "文件太大：附件最大 10 MB"


def test_another_village_sees_nothing(people, client, world):
    pid = people.draft()
    people.submit(pid)
    attachment = people.upload(pid, "照片.png", png()).json()
    stranger = world.member(world.village(), name="外村人")
    h = people.h(stranger)
    for r in (people.upload(pid, "x.png", png(), user=stranger),
              client.get(f"/api/v1/proposals/{pid}/attachments", headers=h),
              client.get(attachment["url"], headers=h)):
        assert r.status_code == 404, r.text
    assert client.get(attachment["url"]).status_code == 401  # nobody anonymous either
    assert people.upload(pid, "x.png", png()).status_code == 201  # the author still can
    anon = client.post(f"/api/v1/proposals/{pid}/attachments", files={"file": ("x.png", png(), "image/png")})
    assert anon.status_code == 401
    assert client.get("/api/v1/attachments/987654321", headers=h).status_code == 404


def test_only_the_author_and_the_committee_may_attach(people, world):
    pid = people.draft()
    assert people.submit(pid) == "cosign"
    r = people.upload(pid, "邻居的照片.png", png(), user=people.other)
    assert r.status_code == 403 and r.json()["detail"] == "只有提议人或村委会可以给这个事项添加附件"
    monitor = world.monitor(people.village.township_id)
    assert people.upload(pid, "m.png", png(), user=monitor).status_code == 403
    assert people.upload(pid, "提议人的照片.png", png()).status_code == 201
    assert people.upload(pid, "村委会的照片.png", png(), user=people.committee).status_code == 201


def test_the_author_stops_at_the_vote_the_committee_goes_on(people, db):
    pid = people.draft(people.committee)
    assert people.submit(pid, people.committee) == "deliberation"  # the committee skips co-signing
    # the committee member is the author here; a villager-authored proposal follows the same rule
    db.execute(update(Proposal).where(Proposal.id == pid).values(author_id=people.author.id))
    entered = db.execute(select(Proposal.stage_entered_at).where(Proposal.id == pid)).scalar_one()
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=entered - timedelta(days=8)))
    db.commit()
    assert people.upload(pid, "商议阶段.png", png()).status_code == 201
    r = people.client.post(f"/api/v1/proposals/{pid}/transitions", json={"action": "advance"},
                           headers=people.h(people.committee))
    assert r.status_code == 200 and r.json()["state"] == "vote"
    late = people.upload(pid, "表决阶段.png", png())
    assert late.status_code == 409 and "提议人不能再添加附件" in late.json()["detail"]
    assert people.upload(pid, "表决记录.pdf", pdf(), user=people.committee).status_code == 201


def test_same_content_is_stored_once(people, client, settings, db):
    pid = people.draft()
    people.submit(pid)
    data = pdf()
    first = people.upload(pid, "方案.pdf", data).json()
    second = people.upload(pid, "方案（副本）.pdf", data, user=people.committee).json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    folder = settings.upload_dir / "files" / first["sha256"][:2]
    assert [p.name for p in folder.iterdir() if first["sha256"] in p.name or p.name.startswith(".tmp")] == [
        first["sha256"]]
    rows = db.execute(select(Attachment).where(Attachment.sha256 == first["sha256"])).scalars().all()
    assert {a.filename for a in rows} == {"方案.pdf", "方案（副本）.pdf"}
    assert client.get(second["url"], headers=people.h(people.author)).content == data


def test_a_drafts_attachments_are_private_to_its_author(people, client):
    pid = people.draft()
    attachment = people.upload(pid, "草稿附件.png", png()).json()
    for user in (people.other, people.committee):
        h = people.h(user)
        assert client.get(attachment["url"], headers=h).status_code == 404
        assert client.get(f"/api/v1/proposals/{pid}/attachments", headers=h).status_code == 404
        assert people.upload(pid, "x.png", png(), user=user).status_code == 404
    assert client.get(attachment["url"], headers=people.h(people.author)).status_code == 200
    people.submit(pid)
    assert client.get(attachment["url"], headers=people.h(people.other)).status_code == 200
    assert [a["id"] for a in client.get(f"/api/v1/proposals/{pid}/attachments",
                                        headers=people.h(people.other)).json()["items"]] == [attachment["id"]]


def test_a_monitor_of_the_township_may_read(people, client, world):
    pid = people.draft()
    people.submit(pid)
    attachment = people.upload(pid, "照片.png", png()).json()
    monitor = world.monitor(people.village.township_id)
    assert client.get(attachment["url"], headers=people.h(monitor)).status_code == 200
    other_monitor = world.monitor(world.township())
    assert client.get(attachment["url"], headers=people.h(other_monitor)).status_code == 404


def test_a_file_missing_on_disk_is_a_clear_404(people, client, settings):
    pid = people.draft()
    attachment = people.upload(pid, "会丢的文件.pdf", pdf()).json()
    (settings.upload_dir / "files" / attachment["sha256"][:2] / attachment["sha256"]).unlink()
    r = client.get(attachment["url"], headers=people.h(people.author))
    assert r.status_code == 404 and r.json()["detail"] == "附件文件丢失了，请联系村委会重新上传"


def test_uploads_are_audited_and_the_chain_verifies(people, client):
    pid = people.draft()
    made = [people.upload(pid, f"附件{i}.png", png()).json() for i in range(3)]
    verify = client.get(f"/api/v1/villages/{people.village.id}/audit/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True
    events = client.get(f"/api/v1/villages/{people.village.id}/audit", params={"per_page": 200},
                        headers=people.h(people.committee)).json()["items"]
    added = [e for e in events if e["action"] == "attachment.add"]
    assert [e["entity_id"] for e in added] == [str(a["id"]) for a in made]
    assert added[0]["payload"]["data"] == {
        "owner": {"type": "proposal", "id": pid}, "filename": "附件0.png", "size": made[0]["size"],
        "sha256": made[0]["sha256"], "content_type": "image/png"}
    assert added[0]["actor_id"] == people.author.id


def test_at_most_thirty_files_per_proposal(people, db, monkeypatch):
    monkeypatch.setattr(service, "MAX_PER_OWNER", 2)
    pid = people.draft()
    assert people.upload(pid, "1.png", png()).status_code == 201
    assert people.upload(pid, "2.png", png()).status_code == 201
    r = people.upload(pid, "3.png", png())
    assert r.status_code == 409 and r.json()["detail"] == "每个事项最多 2 个附件"


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(people, monkeypatch):
    from routers.api import attachments as api

    monkeypatch.setattr(api, "MAX_REQUEST_BYTES", 2 * 1024 * 1024)  # so only the stream counter can refuse
    pid = people.draft()
    boundary = "cunyi-boundary"

    def body(megabytes: int):
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()
        for _ in range(megabytes):
            yield b"\x00" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**people.h(people.author), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    url = f"/api/v1/proposals/{pid}/attachments"
    r = people.client.post(url, content=body(3), headers=headers)
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and r.json()["detail"] == "文件太大：附件最大 10 MB"
    assert people.client.post(url, content=body(1), headers=headers).status_code == 201
    # with a Content-Length over the limit the body is not even read
    r = people.upload(pid, "big.pdf", b"%PDF-1.4\n" + b"\x00" * (3 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["detail"] == "文件太大：附件最大 10 MB"


def test_a_votes_papers_are_for_those_who_oversee_it(client, world, db):
    """Written proxy authorizations and meeting photos carry personal data: not for every villager."""
    from datetime import timedelta

    from app.domain.proposals import ProposalDraft
    from app.models import utcnow
    from app.services import councils, paper_tallies, proposals, votes
    from app.services.access import load_actor

    village = world.village()
    chair_user = world.member(village, "committee")
    supervisor = world.member(village, "supervisor")
    villager = world.member(village)
    chair = load_actor(db, chair_user)
    village.settings = {"min_days": {"yishiyiyi.deliberation": 0}}
    db.add(village)
    db.commit()
    p = proposals.create(db, chair, village, ProposalDraft(title="修桥", body="方案", category="facilities",
                                                           procedure="yishiyiyi"))
    proposals.transition(db, chair, p.id, "submit")
    proposals.transition(db, chair, p.id, "advance")
    council = councils.create_council(db, chair, village, kind="assembly", name="")
    now = utcnow()
    vs = votes.create_session(db, chair, p.id, council_id=council.id, question="是否同意？", options=None, secret=True,
                              allow_change=False, opens_at=now, closes_at=now + timedelta(days=1))
    scan = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = client.post(f"/api/v1/votes/{vs.id}/attachments", files={"file": ("委托书.pdf", scan, "application/pdf")},
                    headers=bearer(client, chair_user))
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    assert client.get(url, headers=bearer(client, supervisor)).content == scan
    assert client.get(url, headers=bearer(client, villager)).status_code == 404
    assert client.get(f"/api/v1/votes/{vs.id}/attachments", headers=bearer(client, villager)).status_code == 403
    denied = client.post(f"/api/v1/votes/{vs.id}/attachments", files={"file": ("x.pdf", scan, "application/pdf")},
                         headers=bearer(client, villager))
    assert denied.status_code == 403
    # a proxy must point at a paper of this vote, not at any file
    other = client.post(f"/api/v1/proposals/{p.id}/attachments", files={"file": ("a.pdf", scan, "application/pdf")},
                        headers=bearer(client, chair_user)).json()["id"]
    with pytest.raises(Exception, match="上传到本次表决"):
        paper_tallies.record_proxy(db, chair, vs.id, villager.id, supervisor.id, attachment_id=other)
