"""`cunyi verify-bundle FILE.zip`: re-check a decision file's evidence bundle (一事一档) offline, with no
database: every attachment's SHA-256, every included audit event's link hash (from its payload and
prev_hash) and how the events agree with the facts, every notice's content hash, each vote's ballot
box hash, fingerprint and result arithmetic, and the rule checks — recomputed by the same pure
functions the service used (`app.domain.decision.evaluate`) and held against what the file says.

The format is in docs/decision-bundle.md. The verdict is printed in Chinese; `run` answers whether
everything held (the command exits 0) or names each thing that did not (exit 1).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from app.domain import decision as D
from app.domain import decision_facts as DF
from app.domain.audit_chain import link_hash
from app.domain.notices import content_hash

# What a recomputed step and check must agree on (citations follow the verifier's rulebook, so a newer
# rulebook's wording or a newly established article number is not a failure).
STEP_FIELDS = ("stage", "status", "verdict", "entered_at", "entered_by", "left_at", "left_by")
CHECK_FIELDS = ("stage", "key", "verdict", "waived_by", "waived_reason")
MOVE_ACTIONS = {"proposal.submit", "proposal.advance", "proposal.return", "proposal.withdraw", "proposal.reject",
                "proposal.cosigned"}


@dataclass
class Report:
    title: str = ""
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    summary: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed


class Unreadable(Exception):
    """The file is not a bundle this version can read; the message says why, in Chinese."""


def _read(path: Path) -> tuple[dict, zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unreadable("不是有效的 ZIP 文件") from exc
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError as exc:
        raise Unreadable("证据包里没有 manifest.json") from exc
    except ValueError as exc:
        raise Unreadable("manifest.json 不是有效的 JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != DF.FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise Unreadable(f"不认识的格式 {found!r}（本工具核验 {DF.FORMAT}）")
    return manifest, archive


def _matter(manifest: dict) -> DF.Matter:
    try:
        return DF.load(DF.Matter, {**manifest["proposal"], "votes": manifest["votes"],
                                   "notices": manifest["notices"]})
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise Unreadable(f"manifest.json 的事项记录格式不对：{exc}") from exc


def _attachments(manifest: dict, archive: zipfile.ZipFile, matter: DF.Matter, r: Report) -> None:
    listed = manifest.get("attachments") or []
    bad = len(r.failed)
    for a in listed:
        name = a.get("filename", a.get("path"))
        try:
            data = archive.read(a["path"])
        except KeyError:
            r.failed.append(f"附件《{name}》不在证据包里")
            continue
        if hashlib.sha256(data).hexdigest() != a.get("sha256"):
            r.failed.append(f"附件《{name}》的 SHA-256 与清单不符（文件被改动）")
    known = {a.get("sha256") for a in listed}
    for n in matter.notices:
        for sha in n.attachments:
            if sha not in known:
                r.failed.append(f"公示《{n.title}》的附件 {sha[:16]}… 没有列在证据包里")
    if len(r.failed) == bad:
        r.passed.append(f"附件 {len(listed)} 个：SHA-256 全部一致")


def _events(manifest: dict, matter: DF.Matter, r: Report) -> None:
    bad = len(r.failed)
    events: list[tuple[dict, dict]] = []
    last = 0
    for e in manifest.get("audit_events") or []:
        seq = e.get("seq")
        try:
            payload = str(e["payload"]).encode("utf-8")
            ok = link_hash(e["prev_hash"], payload) == e["hash"]
            body = json.loads(payload)
        except (KeyError, ValueError, TypeError):
            r.failed.append(f"审计事件第 {seq} 条格式不对")
            continue
        if not ok:
            r.failed.append(f"审计事件第 {seq} 条：哈希与前一哈希和内容不符（内容被改动）")
            continue
        columns = ("seq", "village_id", "actor_id", "action", "entity", "entity_id")
        if not isinstance(body, dict) or any(body.get(k) != e.get(k) for k in columns):
            r.failed.append(f"审计事件第 {seq} 条：列出的字段与哈希覆盖的内容不符")
            continue
        if not isinstance(seq, int) or seq <= last:
            r.failed.append(f"审计事件第 {seq} 条：序号没有按顺序排列")
        last = seq if isinstance(seq, int) else last
        events.append((e, body.get("data") or {}))
    _agree(events, matter, manifest, r)
    if len(r.failed) == bad:
        r.passed.append(f"审计链事件 {len(events)} 条：每条的哈希都能由前一哈希和内容复算，并与档案记录一致")


def _agree(events: list[tuple[dict, dict]], matter: DF.Matter, manifest: dict, r: Report) -> None:
    """The facts and the chain tell the same story: moves, votes opened and closed, notices published,
    objections raised and answered, files added."""
    chain = [(e["action"].removeprefix("proposal."), d.get("from"), d.get("to")) for e, d in events
             if e["action"] in MOVE_ACTIONS]
    if chain != [(m.action, m.from_state, m.to_state) for m in matter.moves]:
        r.failed.append("事项的经过（每一步的推进）与审计链上的记录不符")

    def data(action: str, entity_id: int) -> list[dict]:
        return [d for e, d in events if e["action"] == action and e["entity_id"] == str(entity_id)]
    for v in matter.votes:
        opened, closed = data("vote.open", v.id), data("vote.close", v.id)
        if v.fingerprint and [d.get("fingerprint") for d in opened] != [v.fingerprint]:
            r.failed.append(f"表决 {v.id} 的指纹与审计链上开始表决时记录的不符")
        if v.result:
            counts = [c.get("count") for c in v.result.get("counts", [])]
            if [(d.get("counts"), d.get("passed")) for d in closed] != [(counts, v.result.get("passed"))]:
                r.failed.append(f"表决 {v.id} 的票数或结果与审计链上结束表决时记录的不符")
    for n in matter.notices:
        if [d.get("content_hash") for d in data("notice.publish", n.id)] != [n.content_hash]:
            r.failed.append(f"公示《{n.title}》的内容指纹与审计链上发布时记录的不符")
        for o in n.objections:
            if not data("objection.create", o.id) or (o.replied_at and not data("objection.reply", o.id)):
                r.failed.append(f"质询 {o.id} 与审计链上的记录不符")
    for a in manifest.get("attachments") or []:
        added = data("attachment.add", a.get("id"))
        if [d.get("sha256") for d in added] != [a.get("sha256")]:
            r.failed.append(f"附件《{a.get('filename')}》的 SHA-256 与审计链上上传时记录的不符")


def _notices(matter: DF.Matter, r: Report) -> None:
    bad = len(r.failed)
    for n in matter.notices:
        if content_hash(n.title, n.body, n.attachments) != n.content_hash:
            r.failed.append(f"公示《{n.title}》的标题、正文或附件与内容指纹不符（内容被改动）")
    if len(r.failed) == bad:
        r.passed.append(f"公示 {len(matter.notices)} 份：内容指纹全部可以复算")


def _votes(matter: DF.Matter, r: Report) -> None:
    bad = len(r.failed)
    for v in matter.votes:
        r.failed.extend(f"表决 {v.id}：{problem}" for problem in DF.vote_problems(v))
    if len(r.failed) == bad:
        r.passed.append(f"表决 {len(matter.votes)} 次：表决指纹、票箱哈希和由票箱复算的结果全部一致")


def _pick(item: Any, names: tuple[str, ...]) -> tuple:
    return tuple(item.get(n) for n in names) if isinstance(item, dict) else (item,)


def _rules(manifest: dict, matter: DF.Matter, r: Report) -> None:
    bad = len(r.failed)
    again = D.evaluate(matter)
    steps = [_pick(DF.dump(s), STEP_FIELDS) for s in again.steps]
    listed = [_pick(s, STEP_FIELDS) for s in manifest.get("steps") or []]
    if steps != listed:
        names = {s.stage: s.name for s in again.steps}
        have = [x[0] for x in listed]
        missing = [names[s[0]] for s in steps if s[0] not in have]
        if missing:
            r.failed.append("步骤不全：缺少" + "、".join(f"“{m}”" for m in missing))
        else:
            wrong = [names.get(a[0], str(a[0])) for a, b in zip(steps, listed, strict=False) if a != b]
            r.failed.append("步骤与按规则重新计算的不符：" + ("、".join(f"“{w}”" for w in wrong) or "步骤数目不同"))
    checks = [_pick(DF.dump(c), CHECK_FIELDS) for c in again.checks]
    recorded = [_pick(c, CHECK_FIELDS) for c in manifest.get("checks") or []]
    if checks != recorded:
        labels = {(c.stage, c.key): c.label for c in again.checks}
        diff = sorted({labels.get(c[:2], str(c[1])) for c in set(checks) ^ set(recorded)})
        r.failed.append("检查结论与按规则重新计算的不符：" + "、".join(f"“{d}”" for d in diff))
    summary = manifest.get("summary") or {}
    if summary.get("code") != again.summary:
        r.failed.append(f"结论与重新计算的不符：证据包写“{summary.get('name')}”，重新计算为“{again.summary_name}”")
    if len(r.failed) == bad:
        r.passed.append(f"步骤 {len(again.steps)} 个、检查 {len(again.checks)} 项：按同样的规则重新计算，结论一致")
    counts = again.counts
    r.summary = (f"{again.summary_name}（符合 {counts[D.MET]} 项，不符合 {counts[D.NOT_MET]} 项，"
                 f"尚未进行 {counts[D.NOT_YET]} 项，免于适用 {counts[D.WAIVED]} 项）")


def verify(path: Path) -> Report:
    """Every re-check of the bundle at `path`; never raises for a bad file (it is a failure)."""
    r = Report()
    try:
        manifest, archive = _read(path)
        with archive:
            matter = _matter(manifest)
            r.title = f"事项 {matter.id}《{matter.title}》，生成于 {manifest.get('generated_at')}"
            _attachments(manifest, archive, matter, r)
            _events(manifest, matter, r)
            _notices(matter, r)
            _votes(matter, r)
            _rules(manifest, matter, r)
    except Unreadable as exc:
        r.failed.append(str(exc))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError, zipfile.BadZipFile) as exc:
        r.failed.append(f"证据包的内容不完整或格式不对（{type(exc).__name__}）")
    return r


def run(console: Console, path: Path) -> bool:
    """Print the verdict in Chinese; True when everything held."""
    r = verify(path)
    console.print(f"核验证据包：{escape(str(path))}", soft_wrap=True)
    if r.title:
        console.print(escape(r.title), soft_wrap=True)
    for line in r.passed:
        console.print(f"[green]✓ {escape(line)}[/green]", soft_wrap=True)
    for line in r.failed:
        console.print(f"[red]✗ {escape(line)}[/red]", soft_wrap=True)
    if r.ok:
        console.print("[green]结论：核验通过，证据包完整，检查结论与规则一致。[/green]", soft_wrap=True)
        if r.summary:
            console.print(f"本事项：{escape(r.summary)}", soft_wrap=True)
    else:
        console.print(f"[red]结论：核验未通过，共 {len(r.failed)} 处不符（见上）。[/red]", soft_wrap=True)
    return r.ok
