"""Settings read from the environment (CUNYI_*), with safe defaults for a laptop."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUNYI_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{VAR_DIR / 'cunyi.db'}")
    secret_key: str = ""
    secret_key_file: Path = VAR_DIR / "secret_key"
    # the Ed25519 key that seals the audit chains (generated here on first use; back it up with the data)
    seal_key_file: Path = VAR_DIR / "seal_key.pem"
    # run the timed jobs (closing votes, daily seals) in the server process; off in tests
    scheduler: bool = True
    # the public audit verification is answered from memory while a chain's head, latest seal and last
    # full check are unchanged, for at most this long (0: recompute every time)
    verify_cache_seconds: int = 60
    # anonymous public pages (board, notice, print sheet, feed) kept rendered per process, by their
    # validator (routers/web/caching.py); 0 renders every request
    page_cache_entries: int = 256
    upload_dir: Path = VAR_DIR / "uploads"
    # the public address (https://cunyi.example.cn): QR codes and feeds use it, and other Host headers
    # are refused; empty: taken from each request (fine on a laptop)
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # sessions
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Secure cookies: "auto" follows the request scheme; "true"/"false" force it.
    cookie_secure: str = "auto"
    # login throttling
    login_max_failures_account: int = 10
    login_max_failures_address: int = 50
    login_window_minutes: int = 15
    # activation codes
    activation_days: int = 14
    # argon2 cost (lower only in tests)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # threads per process that run the handlers and their SQL. Each thread past the first costs CPU for
    # taking turns at Python's lock (the board rendered under 32 connections: 10 ms of CPU a request with
    # 1 thread, 14 with 4, 18 with 8), yet one thread alone stalls every request behind a slow one and
    # PostgreSQL wants a few to wait on the network (ballots/s at 2, 4, 8, 40 threads: 190, 203, 202, 168;
    # p99 410, 217, 233, 905 ms). Measured with bench/cast.py --threads and bench/http.py on 2 cores.
    threads: int = 4
    # pool size (plus as many overflow), above `threads`: a handler never waits for a connection
    db_pool_size: int = 20
    # largest roster file accepted
    roster_max_bytes: int = 5 * 1024 * 1024
    # request bodies: JSON and forms; multipart uploads (a 10 MB file plus its envelope)
    body_max_bytes: int = 1024 * 1024
    upload_max_bytes: int = 10 * 1024 * 1024 + 64 * 1024
    log_sql: bool = False
    # refuse to start on a database that fails `PRAGMA quick_check` (SQLite) or a connection check
    startup_check: bool = True
    # once started, move what start-up built (routes, templates, the models) out of reach of Python's
    # cyclic garbage collector and collect young garbage less often (app/main.py): its full collections
    # no longer walk the whole app while requests wait. Secret ballots under 32 connections, p99: about
    # 250 → 80–100 ms. Off in tests, whose process starts thousands of apps.
    gc_freeze: bool = True
    # SMS through Aliyun (阿里云短信): off until the access key, sign name and template code are set. The
    # template carries one variable, ${text}; `sms_templates` may name another template per kind of
    # message (JSON, e.g. {"vote.open": "SMS_123"}). Endpoint and protocol are settable for a proxy or a test.
    sms_access_key_id: str = ""
    sms_access_key_secret: str = Field(default="", repr=False)
    sms_sign_name: str = ""
    sms_template_code: str = ""
    sms_templates: dict[str, str] = Field(default_factory=dict)
    sms_endpoint: str = "dysmsapi.aliyuncs.com"
    sms_protocol: str = "https"
    # e-mail over SMTP: off until a host and a sender are set
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_ssl: bool = False  # SMTP over TLS from the first byte (port 465)
    smtp_from: str = ""

    @property
    def sms_enabled(self) -> bool:
        return bool(self.sms_access_key_id and self.sms_access_key_secret and self.sms_sign_name
                    and self.sms_template_code)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once into var/ and reused."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        if path.exists():
            key = path.read_text().strip()
            if key:
                return key
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
