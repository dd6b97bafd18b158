"""The `cunyi` command on a brand-new SQLite database: upgrade, demo, audit verify, create-admin.

Each test gets its own database file, so the tests pass in any order."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import get_settings
from app.db import make_engine
from app.demo import DEMO_LOGINS, DEMO_PASSWORD
from app.models import Membership, User, Village
from tests.factories import unique_client


@pytest.fixture
def cunyi(tmp_path):
    """Run `cunyi ...` against a fresh SQLite file, with cheap password hashing."""
    tmp = tmp_path
    env = {
        "CUNYI_DATABASE_URL": f"sqlite:///{tmp / 'cli.db'}",
        "CUNYI_SECRET_KEY": "cli-test-secret-key",
        "CUNYI_UPLOAD_DIR": str(tmp / "uploads"),
        "CUNYI_ARGON2_MEMORY_KIB": "1024",
        "CUNYI_ARGON2_TIME_COST": "1",
    }
    runner = CliRunner()

    def run(*args: str, **extra_env: str):
        get_settings.cache_clear()
        try:
            with pytest.MonkeyPatch.context() as mp:
                for key, value in {**env, **extra_env}.items():
                    mp.setenv(key, value)
                result = runner.invoke(cli_app, list(args))
        finally:
            get_settings.cache_clear()
        return result

    run.env = env
    return run


@pytest.fixture
def upgraded(cunyi):
    result = cunyi("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "数据库已升级" in result.output
    return cunyi


def settings_for(cunyi):
    from app.config import Settings

    with pytest.MonkeyPatch.context() as mp:
        for key, value in cunyi.env.items():
            mp.setenv(key, value)
        return Settings()


def test_upgrade_twice_is_harmless(upgraded):
    assert upgraded("db", "upgrade").exit_code == 0


def test_demo_loads_two_villages_and_prints_the_logins(upgraded):
    result = upgraded("demo")
    assert result.exit_code == 0, result.output
    for login in DEMO_LOGINS:
        assert login.phone in result.output
    assert DEMO_PASSWORD in result.output
    engine = make_engine(settings_for(upgraded))
    with Session(engine) as s:
        villages = list(s.execute(select(Village.slug).order_by(Village.slug)).scalars())
        assert villages == ["liuxi", "xinghua"]
        members = s.execute(select(func.count()).select_from(Membership)).scalar_one()
        assert 280 <= members <= 320
    engine.dispose()

    again = upgraded("demo", "--if-empty")
    assert again.exit_code == 0, again.output
    assert "未加载演示数据" in again.output
    engine = make_engine(settings_for(upgraded))
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Membership)).scalar_one() == members
    engine.dispose()

    verified = upgraded("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "完整" in verified.output and "断裂" not in verified.output
    assert upgraded("audit", "verify", "xinghua").exit_code == 0

    # the demo logins work
    from app.main import create_app

    app = create_app(settings_for(upgraded))
    with unique_client(app) as client:
        r = client.post("/api/v1/auth/token", json={"phone": DEMO_LOGINS[2].phone, "password": DEMO_PASSWORD})
        assert r.status_code == 200
    app.state.engine.dispose()


def test_create_admin_who_can_log_in(upgraded):
    result = upgraded("create-admin", "--phone", "139 1234 5678", "--name", "王管理",
                      CUNYI_ADMIN_PASSWORD="Admin-pass-2026!")
    assert result.exit_code == 0, result.output
    assert "王管理" in result.output
    from app.main import create_app

    app = create_app(settings_for(upgraded))
    with unique_client(app) as client:
        r = client.post("/api/v1/auth/token", json={"phone": "13912345678", "password": "Admin-pass-2026!"})
        assert r.status_code == 200, r.text
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
        assert me["is_admin"] is True and me["name"] == "王管理"
    app.state.engine.dispose()
    # running it again updates the password instead of failing: the new one works, the old one not
    again = upgraded("create-admin", "--phone", "13912345678", "--name", "王管理",
                     CUNYI_ADMIN_PASSWORD="Another-pass-2026!")
    assert again.exit_code == 0, again.output
    assert upgraded("audit", "verify").exit_code == 0
    app = create_app(settings_for(upgraded))
    with unique_client(app) as client:
        new = client.post("/api/v1/auth/token", json={"phone": "13912345678", "password": "Another-pass-2026!"})
        assert new.status_code == 200, new.text
        old = client.post("/api/v1/auth/token", json={"phone": "13912345678", "password": "Admin-pass-2026!"})
        assert old.status_code == 401, old.text
    app.state.engine.dispose()


@pytest.mark.parametrize(
    ("phone", "password", "says"),
    [
        ("13912340000", "password1", "太常见"),
        ("13912340000", "short", "至少 8 位"),
        ("13912340000", "x13912340000", "手机号"),
        ("1234", "Admin-pass-2026!", "手机号"),
    ],
)
def test_create_admin_refuses_bad_input_with_exit_code_2(upgraded, phone, password, says):
    result = upgraded("create-admin", "--phone", phone, "--name", "坏管理", CUNYI_ADMIN_PASSWORD=password)
    assert result.exit_code == 2, result.output
    assert says in result.output
    engine = make_engine(settings_for(upgraded))
    with Session(engine) as s:
        assert s.execute(select(User).where(User.name == "坏管理")).first() is None
    engine.dispose()


def test_audit_verify_of_an_unknown_village_exits_2(upgraded):
    result = upgraded("audit", "verify", "no-such-village")
    assert result.exit_code == 2 and "找不到村" in result.output


def test_no_arguments_prints_help(cunyi):
    result = cunyi()
    assert result.exit_code == 2  # as click does for a command that needs one: help, then status 2
    assert "村议" in result.output and "import-roster" in result.output


def test_demo_twice_is_refused_with_a_message(upgraded):
    first = upgraded("demo", "--if-empty")
    assert first.exit_code == 0 and "演示" in first.output
    result = upgraded("demo")
    assert result.exit_code == 1, result.output
    assert "只能装入空数据库" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a message, not a traceback
