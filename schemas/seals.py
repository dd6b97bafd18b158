"""API shapes of the audit chains' seals (封存) and the service's public key."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.services import seals
from schemas.common import out_model

SealKeyOut = out_model(seals.PublicKey, "SealKeyOut", doc="The Ed25519 public key every seal verifies with.",
                       descriptions={"public_key": "32 字节原始公钥，Base64", "pem": "同一公钥的 PEM 格式",
                                     "key_id": "公钥 SHA-256 的前 16 位十六进制"})
SealOut = out_model(seals.SealOut, "SealOut",
                    doc="A signed chain head: keep it; anyone can check it offline (docs/hashes.md).",
                    descriptions={"signature": "{v, chain, seq, hash, sealed_at} 规范 JSON 的 Ed25519 签名（Base64）",
                                  "chain": "村的编号（0 为平台链）"})


class SealedOut(BaseModel):
    sealed: int = Field(description="这次封存的链的条数（链头没变的不重复封存）")
