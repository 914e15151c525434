"""The interchange bundle's base (design.md §8): what an app declares about the files it owns.

Each app that owns bundle files declares them in its own `interchange.py` with `register(...)`:
the file's name and columns (`FileSpec`), a check function (every row, every issue collected), a
write function (bulk, inside the importer's one transaction), an export function, and the files
it depends on. The interchange app finds these modules with `autodiscover_modules("interchange")`,
the way the engine finds `rules.py`, and coordinates: reading, order, the all-or-nothing
transaction, the report. So no app imports interchange, and adding a file touches only its app.

This module is the small shared vocabulary (it imports no app): specs, issues, tables, counts,
the context a check or write works in, and the scope an export writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from .dates import parse_date
from .errors import FieldError

# a yes/no cell, as files written by people say it
YES = ("yes", "是", "y", "true", "1")
NO = ("no", "否", "n", "false", "0", "")


@dataclass(frozen=True)
class FileSpec:
    """A file of the bundle: its name, its columns in order, their limits and Chinese labels."""

    name: str
    label: str
    columns: tuple[str, ...]
    max_lengths: dict[str, int]
    column_labels: dict[str, str] = field(default_factory=dict)
    # columns added after a file's first version: a file without them is read as if they were
    # empty (exports always write them)
    optional: tuple[str, ...] = ()


@dataclass
class Issue:
    """One place at fault: file, row (1 = the header), column, and the reason in Chinese."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" 列“{self.column}”"
        return f"{where}：{self.reason}"


class BundleError(Exception):
    """A bundle (or a roster file) was refused; `issues` names every place at fault."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues[:5]))
        self.issues = issues


@dataclass
class Table:
    """A file as read: its rows (column → text) with their line numbers, and its digest."""

    spec: FileSpec
    rows: list[dict[str, str]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    sha256: str = ""
    label: str = ""  # the file name shown in reports (an uploaded roster keeps its own name)


@dataclass
class FileCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class BundleContext:
    """What the checks and writes of one import share.

    `scope_paths` is set for a web upload: rows are limited to the uploading user's subtrees (and
    a file may be stricter then, as fees.csv is). `rows` holds each file's checked rows; `shared`
    holds what one app builds once for the others (the organization index, code → id).
    """

    tables: dict[str, Table]
    scope_paths: list[str] | None = None
    actor: Any = None
    issues: list[Issue] = field(default_factory=list)
    rows: dict[str, list[Any]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    # the day the record is as of, where it is not today (the seed's `--today`): the ledger of the
    # members put on the roll is opened through its month, not through this one
    as_of: date | None = None
    # what holds a lock shared by the whole deployment until the commit (the fee roll-up's
    # refresh): run last, once every file is written, checked and analysed (`at_end`)
    last: list[Callable[[], Any]] = field(default_factory=list)
    _today: date = field(default_factory=timezone.localdate, repr=False)
    _dates: dict[str, date] = field(default_factory=dict, repr=False)

    def at_end(self, work: Callable[[], Any]) -> None:
        """Run `work` last in the import's transaction, just before the commit. Two imports
        written at once (a province's districts) wait for each other's deployment-wide locks only
        for that work and the commit, not for the rest of each other's import."""
        self.last.append(work)

    def err(self, file: str, line: int | None, column: str | None, reason: str) -> None:
        self.issues.append(Issue(file, line, column, reason))

    def date(
        self, file: str, line: int, column: str, value: str, label: str, required: bool = True
    ) -> date | None:
        """A date cell, or None after recording why it is not one.

        A bundle repeats few distinct dates over many rows (a year of fee months): each text is
        parsed once per import, against one "today" read when the import began."""
        parsed = self._dates.get(value)
        if parsed is not None:
            return parsed
        try:
            parsed = parse_date(value, label, required=required, today=self._today)
        except FieldError as exc:
            self.err(file, line, column, str(exc))
            return None
        if parsed is not None:
            self._dates[value] = parsed
        return parsed

    def file_label(self, name: str) -> str:
        table = self.tables.get(name)
        return (table.label if table is not None else "") or name


@dataclass(frozen=True)
class ExportScope:
    """What an export writes: the whole deployment (`root` None) or one subtree.

    `org_ids` are the active organizations of the scope and `member_ids` its members on the roll
    (both as querysets of ids, for `__in` filters); `root` (an organization) places the scope in
    the tree.
    """

    root: Any
    org_ids: Any
    member_ids: Any

    @property
    def whole(self) -> bool:
        return self.root is None


@dataclass(frozen=True)
class Upload:
    """A file staff may upload on the web (.xlsx or .csv): one page in interchange for every kind.

    The rows are limited to the uploader's subtrees (`scope_paths`). `rules` and `example` make
    the .xlsx template (a comment on each header cell and a sheet explaining the columns).
    """

    kind: str  # the URL's part: /import/<kind>/
    title: str  # 花名册导入
    unit: str  # what a row is counted as: 人, 条
    steps: tuple[str, ...]  # the instructions shown beside the form
    rules: dict[str, str]  # column → its rule, for the template
    example: tuple[str, ...]  # the template's example row
    sheet: str  # the template's sheet name
    audit_action: str = "interchange.import"
    file_label: str = "文件（.xlsx 或 .csv，UTF-8）"


@dataclass(frozen=True)
class BundleFile:
    """One file as its app declares it."""

    spec: FileSpec
    check: Callable[[BundleContext, Table], list[Any]]
    write: Callable[[BundleContext, list[Any], FileCounts], None]
    export: Callable[[ExportScope], Iterable[Sequence[Any]]]
    after: tuple[str, ...] = ()  # files checked and written before this one
    export_empty: bool = False  # written even with no rows (the record's own files)
    models: tuple[type, ...] = ()  # tables to ANALYZE after a large import
    upload: Upload | None = None
    # after every file is written (whichever files the import had): what follows from them
    finish: Callable[[BundleContext], None] | None = None


REGISTRY: dict[str, BundleFile] = {}


def register(*files: BundleFile) -> None:
    """Declare an app's files (called at import of its `interchange.py`)."""
    for f in files:
        REGISTRY[f.spec.name] = f


def ordered() -> list[BundleFile]:
    """The registered files, each after the files it depends on (declaration order otherwise)."""
    done: dict[str, BundleFile] = {}

    def place(f: BundleFile, path: tuple[str, ...]) -> None:
        if f.spec.name in done:
            return
        if f.spec.name in path:
            raise RuntimeError(f"bundle files depend on each other: {' → '.join(path)}")
        for dep in f.after:
            if dep in REGISTRY:
                place(REGISTRY[dep], (*path, f.spec.name))
        done[f.spec.name] = f

    for f in list(REGISTRY.values()):
        place(f, ())
    return list(done.values())


def uploads() -> dict[str, BundleFile]:
    """The files staff may upload on the web, by their kind."""
    return {f.upload.kind: f for f in REGISTRY.values() if f.upload is not None}
