"""Answers go out gzip-compressed to clients that ask (app/main.py): the same page, a fraction of the
bytes on a phone's line; images and small answers as they are; validators and HEAD unchanged."""

from __future__ import annotations

import gzip
import re
import struct
import zlib

from app.services import comments
from app.services.access import load_actor
from tests.factories import login
from tests.web.test_notice_pages import Village as NoticeVillage
from tests.web.test_proposal_pages import Village

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
TOKEN = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")[0-9a-f]+')


def raw(client, url: str, headers: dict, method: str = "GET") -> tuple[object, bytes]:
    """The answer and its body exactly as sent (not decoded by the client)."""
    with client.stream(method, url, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def big_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"note\x00" + b"a" * 6000) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def test_a_long_matter_page_is_sent_compressed_and_reads_the_same(client, world):
    v = Village(world)
    proposal = v.submitted()
    db = world.db
    for i in range(40):
        comments.add(db, load_actor(db, v.people[i % 3]), proposal.id, f"第{i}条意见：先修**东头**那一段。" * 3)
    login(client, v.people[0])
    url = v.url(f"proposals/{proposal.id}")
    packed, body = raw(client, url, GZIP)
    plain, html = raw(client, url, IDENTITY)
    assert packed.status_code == plain.status_code == 200
    assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert len(body) * 4 < len(html)
    # the same page but for the token, which each page prints masked afresh
    assert TOKEN.sub(r"\1", gzip.decompress(body).decode()) == TOKEN.sub(r"\1", html.decode())


def test_the_board_keeps_its_validator_and_revalidates_compressed(client, world):
    v = NoticeVillage(world)
    v.published(title="村道硬化公示")
    first, _ = raw(client, v.url(), GZIP)
    assert first.headers["content-encoding"] == "gzip"
    plain, _ = raw(client, v.url(), IDENTITY)
    assert first.headers["etag"] == plain.headers["etag"]  # a weak validator: equal content, any encoding
    again, body = raw(client, v.url(), {**GZIP, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and body == b""
    head, body = raw(client, v.url(), GZIP, method="HEAD")
    assert head.status_code == 200 and body == b"" and head.headers["content-encoding"] == "gzip"


def test_images_and_small_answers_go_as_they_are(client, world):
    v = Village(world)
    proposal = v.submitted()
    token = login(client, v.people[0])
    image = big_png()
    r = client.post(v.url(f"proposals/{proposal.id}/attachments"), data={"csrf_token": token},
                    files={"file": ("路况.png", image, "image/png")})
    page = client.get(r.headers["location"]).text
    link = re.search(rf'href="(/v/{v.slug}/attachments/\d+)">路况.png</a>', page).group(1)
    download, body = raw(client, link, GZIP)
    assert download.status_code == 200 and "content-encoding" not in download.headers and body == image
    client.cookies.clear()
    small, body = raw(client, "/api/v1/me", GZIP)  # a short problem+json
    assert small.status_code == 401 and "content-encoding" not in small.headers and len(body) < 1024
