"""Bounded request bodies: refused with 413 and a Chinese message before anything parses them."""

from __future__ import annotations

import json

from tests.factories import refused

MB = 1024 * 1024


def test_large_json_to_the_token_endpoint_is_refused_before_parsing(client):
    body = json.dumps({"phone": "13800000000", "password": "x" * (2 * MB)})
    r = client.post("/api/v1/auth/token", content=body, headers={"content-type": "application/json"})
    problem = refused(r, 413, "提交的内容太大")
    assert "1 MB" in problem["detail"]


def test_declared_length_alone_is_enough_to_refuse(client):
    r = client.post("/api/v1/auth/token", content=b"{}",
                    headers={"content-type": "application/json", "content-length": str(50 * MB)})
    # the declared length is believed before a byte is read
    assert r.status_code == 413, r.text


def test_a_streamed_body_without_length_is_counted(client):
    def chunks():
        for _ in range(3):
            yield b"a" * (MB // 2)

    r = client.post("/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"})
    refused(r, 413, "提交的内容太大")


def test_a_large_multipart_login_form_is_refused_with_the_error_page(client):
    r = client.post("/login", files={"file": ("big.bin", b"0" * (11 * MB), "application/octet-stream")},
                    data={"phone": "13800000000", "password": "x"})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "上传的文件太大" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_a_large_page_form_is_refused(client):
    r = client.post("/login", data={"phone": "1", "password": "x" * (2 * MB)})
    assert r.status_code == 413
    assert "提交的内容太大" in r.text


def test_bodies_within_the_limit_are_answered_as_before(client):
    r = client.post("/api/v1/auth/token", json={"phone": "13800000000", "password": "wrong-password-1"})
    assert r.status_code == 401, r.text
