"""meetings.csv in the interchange bundle: org_code, kind, held_on, topic, attended, expected — one
row
per meeting held. Validated with the rest of the bundle (all or nothing); upserted by (organization,
kind, date, topic): an unchanged row is not written again, a changed count is updated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from dangjian.core.bulk import fast_insert
from dangjian.core.bundle import (
    BundleContext,
    BundleFile,
    ExportScope,
    FileCounts,
    FileSpec,
    Table,
    register,
)
from dangjian.core.lookups import batches
from dangjian.orgs.interchange import org_ids, org_index

from .constants import BUNDLE_KINDS, MeetingStatus
from .models import Meeting

MEETINGS = FileSpec(
    "meetings.csv",
    "组织生活",
    ("org_code", "kind", "held_on", "topic", "attended", "expected"),
    {"org_code": 32, "kind": 20, "held_on": 10, "topic": 200, "attended": 6, "expected": 6},
    {
        "org_code": "组织代码",
        "kind": "会议类型",
        "held_on": "召开日期",
        "topic": "主题",
        "attended": "实到人数",
        "expected": "应到人数",
    },
)


@dataclass
class MeetingRow:
    line: int
    org_code: str
    kind: str
    held_on: date
    topic: str
    attended: int
    expected: int


def _count(ctx: BundleContext, f: str, line: int, col: str, raw: str, label: str) -> int | None:
    text = (raw or "").strip()
    if not text.isdecimal() or int(text) > 100000:
        ctx.err(f, line, col, f"{label}“{raw}”应为不小于0的整数")
        return None
    return int(text)


def check_meetings(ctx: BundleContext, table: Table) -> list[MeetingRow]:
    f = table.label or MEETINGS.name
    orgs = org_index(ctx)
    today = timezone.localdate()
    out: list[MeetingRow] = []
    seen: dict[tuple[str, str, date, str], int] = {}
    for row, line in zip(table.rows, table.line_numbers, strict=True):
        ok = True
        code = row["org_code"].strip()
        if not orgs.exists(code):
            ctx.err(f, line, "org_code", f"组织“{code}”不存在")
            ok = False
        kind = row["kind"].strip()
        if kind not in BUNDLE_KINDS:
            ctx.err(f, line, "kind", f"会议类型“{kind}”无效，应为{', '.join(BUNDLE_KINDS)}之一")
            ok = False
        held = ctx.date(f, line, "held_on", row["held_on"], "召开日期")
        if held is None:
            ok = False
        elif held > today:
            ctx.err(f, line, "held_on", "召开日期晚于今天：尚未召开的会议不能作为已召开导入")
            ok = False
        elif ok:
            est = orgs.established(code)
            if est and held < est:
                ctx.err(f, line, "held_on", f"召开日期早于组织成立日期（{est.isoformat()}）")
                ok = False
        topic = row["topic"].strip()
        if not topic:
            ctx.err(f, line, "topic", "请填写会议主题")
            ok = False
        attended = _count(ctx, f, line, "attended", row["attended"], "实到人数")
        expected = _count(ctx, f, line, "expected", row["expected"], "应到人数")
        if attended is None or expected is None:
            ok = False
        elif attended > expected:
            ctx.err(f, line, "attended", f"实到人数{attended}多于应到人数{expected}")
            ok = False
        if ok and held is not None:
            key = (code, kind, held, topic)
            if key in seen:
                ctx.err(f, line, None, f"与第{seen[key]}行重复（同一组织同一天同一主题的同类会议）")
                continue
            seen[key] = line
            out.append(MeetingRow(line, code, kind, held, topic, attended or 0, expected or 0))
    return out


CREATE_FIELDS = [
    "organization_id",
    "kind",
    "status",
    "held_on",
    "topic",
    "expected",
    "attended",
    "source",
    "place",
    "speaker",
    "chair",
    "recorder",
    "agenda",
    "minutes",
    "decisions",
    "motion",
    "sign_in_token",
    "created_at",
    "updated_at",
]


def write_meetings(ctx: BundleContext, rows: list[MeetingRow], counts: FileCounts) -> None:
    ids_by_code = org_ids(ctx)
    if not rows:
        return
    ids = sorted({ids_by_code[r.org_code] for r in rows})
    existing: dict[tuple[int, str, date | None, str], tuple[int, int, int]] = {}
    for batch in batches(ids):
        for pk, oid, kind, held, topic, att, exp in Meeting.objects.filter(
            organization_id__any=batch, status=MeetingStatus.HELD
        ).values_list("id", "organization_id", "kind", "held_on", "topic", "attended", "expected"):
            existing[(oid, kind, held, topic)] = (pk, att, exp)
    now = timezone.now()
    creates: list[tuple[Any, ...]] = []
    updates: list[Meeting] = []
    for r in rows:
        oid = ids_by_code[r.org_code]
        old = existing.get((oid, r.kind, r.held_on, r.topic))
        if old is None:
            creates.append(
                (
                    oid,
                    r.kind,
                    MeetingStatus.HELD,
                    r.held_on,
                    r.topic[:200],
                    r.expected,
                    r.attended,
                    "import",
                    *([""] * 9),
                    now,
                    now,
                )
            )
        elif (old[1], old[2]) != (r.attended, r.expected):
            updates.append(Meeting(id=old[0], attended=r.attended, expected=r.expected))
        else:
            counts.unchanged += 1
    fast_insert(Meeting, CREATE_FIELDS, creates)
    Meeting.objects.bulk_update(updates, ["attended", "expected"], batch_size=2000)
    counts.created += len(creates)
    counts.updated += len(updates)


def export_meetings(scope: ExportScope) -> Iterator[tuple[str, ...]]:
    org_ids = scope.org_ids
    qs = Meeting.objects.filter(status=MeetingStatus.HELD, kind__in=BUNDLE_KINDS)
    if org_ids is not None:
        qs = qs.filter(organization_id__in=org_ids)
    for code, kind, held, topic, att, exp in (
        qs.order_by("organization__code", "held_on", "kind", "topic", "id")
        .values_list("organization__code", "kind", "held_on", "topic", "attended", "expected")
        .iterator(chunk_size=20000)
    ):
        yield (code, kind, f"{held:%Y-%m-%d}", topic, str(att), str(exp))


register(
    BundleFile(
        MEETINGS,
        check_meetings,
        write_meetings,
        export_meetings,
        after=("orgs.csv",),
        models=(Meeting,),
    )
)
