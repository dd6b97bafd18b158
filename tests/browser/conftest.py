"""Browser fixtures: a real uvicorn server on a fresh demo database, and headless Debian Chromium.

`live_server` runs once per engine (SQLite, and PostgreSQL when CUNYI_TEST_DATABASE_URL is set):
it migrates a brand-new database with `cunyi db upgrade`, loads the demo county with `cunyi demo`
and serves `app.main:create_app` on a free loopback port, exactly as a deployment would.
Every test gets its own browser context (a phone: 390x844, zh-CN, Asia/Shanghai), so cookies never
leak between tests.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ENGINES, PG_URL, drop_pg_schema, fresh_url

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
DEFAULT_TIMEOUT_MS = 10_000
STARTUP_TIMEOUT_S = 30
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Everything under tests/browser/ carries the `browser` marker (`-m "not browser"` skips it)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    """Locally a missing browser skips the suite; in CI it is a failure (browser tests must run there)."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _listening_socket() -> socket.socket:
    """A loopback socket already bound and listening, handed to uvicorn (`--fd`): no other process
    can take the port between choosing it and serving on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server_env(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNYI_")}
    env.update({
        "CUNYI_DATABASE_URL": url,
        "CUNYI_SECRET_KEY": secrets.token_urlsafe(32),
        "CUNYI_SECRET_KEY_FILE": str(tmp / "secret_key"),
        "CUNYI_UPLOAD_DIR": str(tmp / "uploads"),
        "CUNYI_ARGON2_MEMORY_KIB": "1024",
        "CUNYI_ARGON2_TIME_COST": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _cunyi(*args: str, env: dict[str, str]) -> None:
    """Run the `cunyi` command of this virtualenv; fail the session with its output if it fails."""
    script = Path(sys.executable).with_name("cunyi")
    cmd = [str(script), *args] if script.exists() else [sys.executable, "-m", "app.cli", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        pytest.fail(f"`cunyi {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)


def _wait_until_up(proc: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"uvicorn exited with {proc.returncode} before answering:\n{log.read_text()[-4000:]}",
                        pytrace=False)
        try:
            with urllib.request.urlopen(base_url + "/", timeout=2) as response:  # noqa: S310 — loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(0.1)
    pytest.fail(f"uvicorn did not answer GET / within {STARTUP_TIMEOUT_S} s ({last_error}):\n"
                f"{log.read_text()[-4000:]}", pytrace=False)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def demo_server(engine: str, tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, dict]]:
    """A uvicorn server on a fresh, migrated database of `engine` holding the demo county: (its base URL,
    its environment); stopped and its database dropped afterwards."""
    url, schema = fresh_url(engine, tmp)
    proc = None
    try:
        env = {**_server_env(url, tmp), **(extra_env or {})}
        _cunyi("db", "upgrade", env=env)
        _cunyi("demo", env=env)
        sock = _listening_socket()
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        log = tmp / "uvicorn.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--fd", str(sock.fileno()),
                 "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
            )
        sock.close()  # the server holds its own copy
        _wait_until_up(proc, base_url, log)
        yield base_url, env
    finally:
        if proc is not None:
            _stop(proc)
        if schema:
            drop_pg_schema(PG_URL, schema)


@pytest.fixture(scope="session", params=ENGINES)
def live_server(request, tmp_path_factory) -> Iterator[str]:
    """Base URL of a uvicorn server on a fresh, migrated database holding the demo county."""
    with demo_server(request.param, tmp_path_factory.mktemp(f"live-{request.param}")) as (base_url, _):
        yield base_url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (Playwright's own browser download does not work here)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """Open a page in a brand-new phone-sized context (its own cookies): a second person's phone."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server, **PHONE)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh phone page: 390x844 CSS pixels at 2x, zh-CN, Beijing time, 10 s timeouts."""
    return new_page()
