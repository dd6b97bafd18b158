"""Signed cookies: a small JSON payload the browser carries for a moment and cannot forge.

Used for the flash message shown by the next page and for a secret ballot's receipt, carried once
from the cast to the vote page. Each use has its own purpose, so one cookie can never be replayed
as another. The value is `base64url(json).hmac`, the HMAC keyed by the purpose and the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from fastapi import Request


def _sign(request: Request, purpose: str, data: bytes) -> str:
    secret = request.app.state.settings.resolved_secret_key()
    return hmac.new(f"{purpose}:{secret}".encode(), data, hashlib.sha256).hexdigest()[:32]


def encode(request: Request, purpose: str, payload: dict) -> str:
    data = base64.urlsafe_b64encode(json.dumps(payload, ensure_ascii=False).encode())
    return f"{data.decode()}.{_sign(request, purpose, data)}"


def decode(request: Request, purpose: str, value: str | None) -> dict | None:
    """The payload, or None when the cookie is missing, altered or not ours."""
    if not value or "." not in value:
        return None
    data, _, sig = value.rpartition(".")
    # as bytes: a cookie of any text (read as Latin-1) is "not ours", never an error
    if not hmac.compare_digest(sig.encode(), _sign(request, purpose, data.encode()).encode()):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(data.encode()))
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
