"""`cunyi verify-bundle FILE.zip` re-checks a decision file's evidence bundle offline: an honest bundle
passes (exit 0); a changed ballot count, a changed notice body, a removed step, a changed file, a
rewritten audit event and a file that is no bundle each fail (exit 1), naming what failed."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from tests.api.test_decision_files import full_matter


@pytest.fixture
def honest(api, world, db, clock, tmp_path):
    """The bundle of a matter through its vote, notice and filing, as its monitor downloads it."""
    s, monitor, pid, _, _ = full_matter(api, world, db, clock)
    r = api.client.get(f"/api/v1/proposals/{pid}/file.zip", headers=api.headers(monitor))
    assert r.status_code == 200, r.text
    path = tmp_path / "一事一档.zip"
    path.write_bytes(r.content)
    return path


def verify(path) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, ["verify-bundle", str(path)])
    return result.exit_code, result.output


def rewritten(path, tmp_path, change: Callable[[dict], None] | None = None,
              files: Callable[[str, bytes], bytes] | None = None):
    """A copy of the bundle with its manifest changed by `change` and its files by `files`."""
    out = tmp_path / "changed.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "manifest.json" and change is not None:
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest, ensure_ascii=False).encode()
            elif files is not None:
                data = files(name, data)
            dst.writestr(name, data)
    return out


def test_an_honest_bundle_passes(honest):
    code, output = verify(honest)
    assert code == 0, output
    assert "核验通过" in output and "本事项：未完成" in output
    for what in ("附件 1 个", "审计链事件", "公示 1 份", "表决 1 次", "步骤 8 个"):
        assert what in output, output


def test_a_changed_ballot_count_fails(honest, tmp_path):
    def more_for(manifest: dict) -> None:
        manifest["votes"][0]["box_counts"][0] += 1
    code, output = verify(rewritten(honest, tmp_path, more_for))
    assert code == 1
    assert "核验未通过" in output and "票箱哈希与票箱内容不符" in output and "公布的票数" in output


def test_a_changed_count_with_a_matching_result_still_fails(honest, tmp_path):
    """Change the box, recompute its hash and the published result: the chain's close event disagrees."""
    from app.domain.decision_facts import box_hash

    def consistent_lie(manifest: dict) -> None:
        v = manifest["votes"][0]
        v["box_counts"] = [6, 0, 0]
        v["box_hash"] = box_hash(v["id"], v["options"], v["box_counts"], v["receipts"])
        v["result"]["counts"][0]["count"], v["result"]["counts"][1]["count"] = 6, 0
        v["result"]["yes"] = 6
    code, output = verify(rewritten(honest, tmp_path, consistent_lie))
    assert code == 1 and "结束表决时记录的不符" in output


def test_a_changed_notice_body_fails(honest, tmp_path):
    def edit(manifest: dict) -> None:
        manifest["notices"][0]["body"] += "\n\n（补充）表决未通过。"
    code, output = verify(rewritten(honest, tmp_path, edit))
    assert code == 1
    assert "内容指纹不符" in output and "公示内容与内容指纹一致" in output


def test_a_removed_step_fails(honest, tmp_path):
    def drop(manifest: dict) -> None:
        manifest["steps"] = [s for s in manifest["steps"] if s["stage"] != "notice"]
    code, output = verify(rewritten(honest, tmp_path, drop))
    assert code == 1 and "步骤不全：缺少“公示”" in output


def test_a_removed_move_fails_against_the_chain(honest, tmp_path):
    def forget(manifest: dict) -> None:
        manifest["proposal"]["moves"] = [m for m in manifest["proposal"]["moves"] if m["from_state"] != "notice"]
    code, output = verify(rewritten(honest, tmp_path, forget))
    assert code == 1 and "与审计链上的记录不符" in output


def test_a_changed_file_fails(honest, tmp_path):
    code, output = verify(rewritten(honest, tmp_path, files=lambda name, data: data + b"x"
                                    if name.startswith("files/") else data))
    assert code == 1 and "SHA-256 与清单不符" in output


def test_a_rewritten_audit_event_fails(honest, tmp_path):
    def rewrite(manifest: dict) -> None:
        event = next(e for e in manifest["audit_events"] if e["action"] == "vote.close")
        event["payload"] = event["payload"].replace('"passed":true', '"passed":false')
    code, output = verify(rewritten(honest, tmp_path, rewrite))
    assert code == 1 and "哈希与前一哈希和内容不符" in output


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "不是有效的 ZIP 文件"),
    (None, "没有 manifest.json"),
    ({"format": "other.v9"}, "不认识的格式"),
    ({"format": "cunyi.decision-bundle.v1", "proposal": {"id": "x"}, "votes": [], "notices": []}, "格式不对"),
])
def test_what_is_no_bundle_fails(tmp_path, content, message):
    path = tmp_path / "bad.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("README.txt", "x")
            if content is not None:
                z.writestr("manifest.json", json.dumps(content))
        path.write_bytes(buffer.getvalue())
    code, output = verify(path)
    assert code == 1 and message in output, output
