"""Seeding the synthetic city and the demo logins (one per role)."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

from django.db import connection, connections, transaction

from dangjian.academy.models import Certificate, ClassKind, Enrolment, TrainingClass
from dangjian.accounts import services as account_services
from dangjian.accounts.constants import Role
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.assistant import services as assistant_services
from dangjian.audit.services import audit_record
from dangjian.core import changes
from dangjian.core.bulk import analyze
from dangjian.core.bundle import FileCounts, Table
from dangjian.interchange.importer import ImportResult, import_tables
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, Post

from .academy_seed import plant_academy
from .community_seed import plant_community
from .enterprises_seed import plant_enterprises
from .generator import CHUNKED_SCALES, CityBuilder
from .learning_seed import plant_learning
from .setup_seed import plant_setup
from .transfers_seed import plant_mobile
from .villages_seed import plant_villages


@changes.quietly  # the seed's many writes are followed by the scan that comes after it
def seed_city(
    *,
    scale: str,
    seed: int,
    today: date,
    actor: Actor = None,
    plant_rate: float = 0.03,
    truth_path: str | None = None,
    progress: Callable[[str], None] | None = None,
    resume: bool = False,
    workers: int = 1,
) -> ImportResult:
    """Generate the synthetic city and write it through the bundle importer (bulk, all-or-nothing).

    A share `plant_rate` of organizations carries a planted irregularity (units, projects, joint
    branches, set-up requests and elections are added after the import, regular ones and planted
    ones alike); the ground truth, one JSON object per line {"rule", "org"}, is written to
    `truth_path` when given. `resume` (chunked scales): a seed stopped while writing its chunks
    goes on — the chunks already written (each committed whole) are generated again, to keep the
    generator's sequence, but not written; the plants follow as usual. `workers` (chunked scales,
    PostgreSQL): up to that many chunks are written at once, each by a process of its own, while
    this one generates the next (see `_ChunkWriter`).
    """
    builder = CityBuilder(scale, seed, today, plant_rate)
    truth = builder.truth
    result = ImportResult({})
    orgs = members = 0
    if scale in CHUNKED_SCALES:
        # a province is written a city at a time, each chunk generated, imported and let go: the
        # memory is a city's whatever the scale (a chunk that fails leaves the ones before it)
        parts: Iterable[dict[str, Table]] = builder.chunks(CHUNKED_SCALES[scale])
    else:
        parts = [builder.tables()]  # one bundle, all-or-nothing
    started = time.perf_counter()

    def written(i: int, sizes: tuple[int, int], chunk: ImportResult) -> None:
        nonlocal orgs, members
        for name, c in chunk.counts.items():
            total = result.counts.setdefault(name, FileCounts())
            total.created += c.created
            total.updated += c.updated
            total.unchanged += c.unchanged
        orgs, members = orgs + sizes[0], members + sizes[1]
        if progress is not None:
            progress(
                f"第{i}块已写入：组织 {orgs}，党员 {members}"
                f"（{time.perf_counter() - started:.0f} 秒）"
            )

    if workers > 1 and (scale not in CHUNKED_SCALES or connection.vendor != "postgresql"):
        if progress is not None and scale in CHUNKED_SCALES:
            progress("SQLite 同一时间只能有一个写入者：分块逐个写入")
        workers = 1
    writer = _ChunkWriter(
        workers,
        # the record is as of `today`: its members' ledger runs to that month, whatever the clock
        lambda tables: import_tables(
            tables, actor=actor, source=f"seed:{scale}:{seed}", as_of=today
        ),
        written,
    )
    with writer:
        for i, tables in enumerate(parts, 1):
            sizes = (
                len(tables["orgs.csv"].rows) if "orgs.csv" in tables else 0,
                len(tables["members.csv"].rows) if "members.csv" in tables else 0,
            )
            if resume and _written(tables):
                orgs, members = orgs + sizes[0], members + sizes[1]
                if progress is not None:
                    progress(f"第{i}块已在库中，跳过（{time.perf_counter() - started:.0f} 秒）")
                continue
            writer.submit(i, sizes, tables, alone=_alone(i, tables, orgs))
            del tables

    for label, plant in (
        ("设立与选举", plant_setup),
        ("流动党员", plant_mobile),
        ("近邻党建", plant_community),
        ("组团帮扶", plant_villages),
        ("非公党建", plant_enterprises),
        ("党建学院", plant_academy),
    ):
        plant(today=today, seed=seed, rate=plant_rate, truth=truth)
        if label == "流动党员":
            plant_learning(today=today)
        if progress is not None:
            progress(f"{label}已生成（{time.perf_counter() - started:.0f} 秒）")
    # the academy's rows came after the import's ANALYZE: without statistics PostgreSQL plans the
    # study rules' subqueries on them as if the tables were empty (minutes instead of a second)
    analyze([Enrolment, TrainingClass, ClassKind, Certificate, Post])
    load_knowledge_base()
    if truth_path:
        Path(truth_path).write_text(
            "".join(
                json.dumps({"rule": r, "org": o}, ensure_ascii=False) + "\n"
                for r, o in sorted(truth)
            ),
            encoding="utf-8",
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="demo.seed",
            object_type="demo.city",
            object_repr=f"{scale}/{seed}",
            data={
                "scale": scale,
                "seed": seed,
                "today": today.isoformat(),
                "orgs": orgs,
                "members": members,
            },
        )
    return result


class _ChunkWriter:
    """Writes a chunked seed's chunks, each through the importer in one transaction.

    With one worker, each in this process, in order. With more (PostgreSQL), each chunk is
    written by a child process forked once the chunk is generated (it inherits the chunk: nothing
    is copied through a pipe), up to `workers` at once, while this process generates the next:
    the Python work of checking and writing a subtree and the database's work run on all the
    cores. The subtrees' chunks are independent (their own organizations, members and records,
    and the counters and roll-ups of their own organizations; the roll-up's refreshes take their
    lock in turn), so they may commit in any order; a chunk marked `alone` waits for every chunk
    before it and is written here. A chunk that fails stops the others (their transactions roll
    back) and its error is raised here: the chunks committed stay, and `--resume` goes on.
    """

    def __init__(
        self,
        workers: int,
        write: Callable[[dict[str, Table]], ImportResult],
        done: Callable[[int, tuple[int, int], ImportResult], None],
    ) -> None:
        # inside a transaction (a test's), a child would not see what this process wrote
        self.workers = 1 if connection.in_atomic_block else workers
        self.write = write
        self.done = done
        self.pending: dict[Connection, tuple[int, tuple[int, int], BaseProcess]] = {}

    def __enter__(self) -> _ChunkWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.drain()
        else:
            self._stop()

    def submit(
        self, i: int, sizes: tuple[int, int], tables: dict[str, Table], *, alone: bool
    ) -> None:
        if self.workers <= 1 or alone:
            self.drain()
            self.done(i, sizes, self.write(tables))
            return
        while len(self.pending) >= self.workers:
            self._collect()
        fork = multiprocessing.get_context("fork")
        reader, sender = fork.Pipe(duplex=False)
        connections.close_all()  # the child opens its own; a socket is never shared
        child = fork.Process(target=self._child, args=(tables, sender), daemon=True)
        child.start()
        sender.close()
        self.pending[reader] = (i, sizes, child)

    def drain(self) -> None:
        while self.pending:
            self._collect()

    def _child(self, tables: dict[str, Table], sender: Connection) -> None:
        _own_connections()
        try:
            message: tuple[str, Any] = ("ok", self.write(tables))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
            message = ("error", exc)
        finally:
            connections.close_all()
        try:
            sender.send(message)
        except Exception as exc:  # noqa: BLE001 - what does not pickle goes as its text
            failed = message[1] if message[0] == "error" else exc
            sender.send(("error", RuntimeError("".join(traceback.format_exception(failed)))))

    def _collect(self) -> None:
        reader = cast(Connection, multiprocessing.connection.wait(list(self.pending))[0])
        i, sizes, child = self.pending.pop(reader)
        try:
            status, payload = reader.recv()
        except EOFError:
            status, payload = "error", RuntimeError(f"第{i}块的写入进程意外退出")
        reader.close()
        child.join()
        if status != "ok":
            self._stop()
            raise cast(BaseException, payload)
        self.done(i, sizes, cast(ImportResult, payload))

    def _stop(self) -> None:
        for _i, _sizes, child in self.pending.values():
            child.terminate()  # its connection closes and its transaction rolls back
        for _i, _sizes, child in self.pending.values():
            child.join()
        self.pending.clear()


_INHERITED: list[Any] = []


def _own_connections() -> None:
    """In a forked writer: a new connection wrapper for every database, whatever it inherited.

    The parent closes its connections before it forks, but Django keeps them per thread, or per
    event loop where one runs in the thread: a process with a loop running (Playwright's, in the
    browser tests) closes the wrappers of its loop, and the child, where no loop runs, finds the
    thread's older wrappers, whose connections may still be open — one socket shared by every
    child (seen as "the last operation didn't produce records (command status: BEGIN)"). Those
    are kept, not closed (closing would end the session of whoever else holds the socket) and
    not dropped (collected, libpq would say goodbye on that socket); the child exits without
    finalizing them."""
    _INHERITED.extend(connections.all(initialized_only=True))
    for alias in connections:
        connections[alias] = connections.create_connection(alias)


def _alone(i: int, tables: dict[str, Table], orgs_written: int) -> bool:
    """Whether a chunk is written on its own, once the chunks before it have committed.

    The first (the organizations above the subtrees) comes before the subtrees that hang under
    it, and a chunk bringing no organizations of its own (the posts of those above, held by
    members of the subtrees) after all of them. So does a subtree with more organizations than
    those already written: the importer would find it more than half the deployment and recount
    the counters and refresh the roll-ups of every organization — rows another chunk's
    transaction holds, and it those of this one (a deadlock; seen with a city's districts
    written at once)."""
    orgs = tables.get("orgs.csv")
    return i == 1 or orgs is None or len(orgs.rows) >= orgs_written


def _written(tables: dict[str, Table]) -> bool:
    """A chunk already in the database: its first organization (the province, or the first
    below a subtree's root) is there, or, for a subtree that is its root alone, its first
    member — a chunk is written in one transaction, all or nothing."""
    orgs, members = tables.get("orgs.csv"), tables.get("members.csv")
    if orgs is None:
        return False
    if orgs.rows:
        return Organization.objects.filter(code=orgs.rows[0]["code"]).exists()
    if members is not None and members.rows:
        return Member.objects.filter(member_no=members.rows[0]["member_no"]).exists()
    return False


KB = Path(__file__).parent / "kb"


def load_knowledge_base() -> int:
    """The assistant's demo knowledge base: the project's own plain-language explanations (fee
    bands, recruitment steps, transfers, study hours; no regulation text is shipped) and the rule
    pack's rules. Returns the documents loaded."""
    docs = [
        assistant_services.document_load(actor=None, name=f.name, data=f.read_bytes())
        for f in sorted(KB.glob("*.md"))
    ]
    assistant_services.rules_index(actor=None, rules=assistant_services.registry_rules())
    return len(docs) + 1


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str
    scope: str
    backup_codes: list[str]


DEMO_PASSWORD = "Dangjian@2026"


def demo_logins_create() -> list[DemoLogin]:
    """One login per role on the seeded tree; idempotent (existing demo users are reissued codes)
    ."""
    root = Organization.objects.filter(depth=1).order_by("path").first()
    if root is None:
        raise RuntimeError("数据库中没有组织，请先运行 dangjian seed")
    branch = (
        Organization.objects.filter(kind="branch", is_active=True, members__status="full")
        .order_by("path")
        .distinct()
        .first()
    )
    committee = (
        Organization.objects.filter(kind="committee", depth=2).order_by("path").first() or root
    )
    member = Member.objects.filter(organization=branch, status="full").order_by("member_no").first()
    plan = [
        (Role.BRANCH_WORKER, "branch", "支部党务", branch),
        (Role.COMMITTEE_STAFF, "committee", "党委组织员", committee),
        (Role.SUPERVISOR, "supervisor", "督查专员", root),
        (Role.SYSTEM_ADMIN, "sysadmin", "系统管理员", None),
        (Role.SECURITY_ADMIN, "secadmin", "安全管理员", None),
        (Role.AUDIT_ADMIN, "auditadmin", "审计管理员", None),
    ]
    out: list[DemoLogin] = []
    for role, username, display, org in plan:
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _ = account_services.user_create(
                actor=None,
                username=username,
                display_name=display,
                password=DEMO_PASSWORD,
                must_change_password=False,
            )
            account_services.grant_create(
                actor=None,
                user=user,
                role=role,
                organization=org,
                can_unmask=role == Role.COMMITTEE_STAFF,
            )
        codes = account_services.otp_static_codes_issue(actor=None, user=user, count=5)
        out.append(
            DemoLogin(
                Role(role).label, username, DEMO_PASSWORD, org.name if org else "（三员）", codes
            )
        )
    if member is not None:
        user = User.objects.filter(username="member").first()
        if user is None:
            user, _ = account_services.user_create(
                actor=None,
                username="member",
                display_name=member.name,
                member=member,
                password=DEMO_PASSWORD,
                must_change_password=False,
            )
        out.insert(
            0,
            DemoLogin(
                "党员",
                "member",
                DEMO_PASSWORD,
                f"{member.name}（{branch.name if branch else ''}）",
                [],
            ),
        )
    if branch is not None:
        # every member of the demo branch can sign in: accounts made, each opened by its member
        member_services.member_accounts_open(actor=None, organization=branch)
    return out


def demo_activation_example() -> tuple[str, str, str] | None:
    """(branch, name, member number) of a member of the demo branch who can open their account
    with an SMS code (a phone on record, no password yet)."""
    pending = (
        Member.objects.filter(user__password__startswith="!", status="full")  # noqa: S106
        .exclude(phone_encrypted="")
        .select_related("organization")
        .order_by("organization__path", "member_no")
        .first()
    )
    if pending is None:
        return None
    return pending.organization.name, pending.name, pending.member_no
