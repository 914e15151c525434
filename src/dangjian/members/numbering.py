"""Numbers the platform gives out when staff leave the field empty: members' numbers and
applicants' numbers, from a configurable pattern (settings.NUMBER_PATTERNS, e.g. "M{seq:08d}",
"S{year}{seq:05d}").

Each pattern, with the year filled in, has a sequence row locked while numbers are taken; it starts
after the highest number already written in that shape (a roster imported with M00012345 goes on
with M00012346), and numbers typed by hand that are already taken are skipped."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from dangjian.core.errors import DomainError

from .models import Member, NumberSequence

SEQ = re.compile(r"\{seq(?::0?(\d+)d)?\}")


@dataclass(frozen=True)
class Shape:
    """A pattern with the year filled in: prefix + digits (zero-padded to `width`) + suffix."""

    prefix: str
    width: int
    suffix: str

    @property
    def key(self) -> str:
        return f"{self.prefix}{{{self.width}}}{self.suffix}"

    def format(self, n: int) -> str:
        return f"{self.prefix}{n:0{self.width}d}{self.suffix}"

    def parse(self, value: str) -> int | None:
        body = value[len(self.prefix) : len(value) - len(self.suffix) or None]
        if (
            value.startswith(self.prefix)
            and value.endswith(self.suffix)
            and len(body) == self.width
            and body.isdecimal()
        ):
            return int(body)
        return None


def shape_of(pattern: str, today: date | None = None) -> Shape:
    """Parse a pattern; a wrong one is a configuration error named in Chinese."""
    year = str((today or timezone.localdate()).year)
    found = list(SEQ.finditer(pattern))
    if len(found) != 1:
        raise DomainError("pattern", f"编号规则“{pattern}”须含且只含一个 {{seq}}")
    m = found[0]
    width = int(m.group(1) or 1)
    prefix, suffix = pattern[: m.start()], pattern[m.end() :]
    prefix, suffix = prefix.replace("{year}", year), suffix.replace("{year}", year)
    if "{" in prefix + suffix or not 1 <= width <= 20:
        raise DomainError("pattern", f"编号规则“{pattern}”只能使用 {{year}} 和 {{seq:08d}}")
    return Shape(prefix, width, suffix)


def _highest(shape: Shape, qs: QuerySet, field: str) -> int:
    """The highest number of this shape already used in `qs.field` (one query)."""
    size = len(shape.prefix) + shape.width + len(shape.suffix)
    top = (
        qs.filter(**{f"{field}__startswith": shape.prefix, f"{field}__endswith": shape.suffix})
        .annotate(_len=Length(field))
        .filter(_len=size)
        .aggregate(m=Max(field))["m"]
    )
    return (shape.parse(top) or 0) if top else 0


def allocate(
    kind: str, count: int, qs: QuerySet, field: str, *, taken: Callable[[list[str]], set[str]]
) -> list[str]:
    """`count` new numbers of `kind` (a key of settings.NUMBER_PATTERNS) for rows of `qs.field`,
    in the caller's transaction."""
    shape = shape_of(settings.NUMBER_PATTERNS[kind])
    with transaction.atomic():
        seq = NumberSequence.objects.select_for_update().filter(key=shape.key).first()
        if seq is None:
            seq, _ = NumberSequence.objects.select_for_update().get_or_create(
                key=shape.key, defaults={"last": _highest(shape, qs, field)}
            )
        out: list[str] = []
        n = seq.last
        while len(out) < count:
            batch = [shape.format(n + i + 1) for i in range(count - len(out))]
            n += len(batch)
            if len(str(n)) > shape.width:
                raise DomainError("pattern", f"编号规则“{shape.key}”的号段已用完，请调整编号规则")
            used = taken(batch)
            out.extend(b for b in batch if b not in used)
        seq.last = n
        seq.save(update_fields=["last"])
    return out


def member_numbers(count: int = 1) -> list[str]:
    """New members' numbers (DANGJIAN_MEMBER_NO_PATTERN)."""
    return allocate(
        "member",
        count,
        Member.objects.all(),
        "member_no",
        taken=lambda nos: set(
            Member.objects.filter(member_no__in=nos).values_list("member_no", flat=True)
        ),
    )
