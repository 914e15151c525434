"""Two lookups of our own.

`path__under=P`: the organizations in the subtree at P (materialized paths), as an index range.

`path__startswith` compiles to LIKE 'P%', which SQLite never serves from an index and
PostgreSQL only with a pattern operator class; a range P <= path < successor(P) is served by the
plain unique index on the path, so a rule re-run over one branch reads that branch's rows instead
of the city's (compliance.follow).

`f__any=values`: f is one of a long list of values (a bundle's member numbers, its members'
ids). `f__in` gives every value a parameter of its own, each prepared by Django and rewritten by
the driver: for a district's 37,000 numbers in batches of 5,000 that took 0.49 s against 0.10 s for
`f = ANY(%s)` with the list as one array parameter (PostgreSQL); a district's import did it six
times. Elsewhere it is `f__in`. Walk long lists with `batches`: the whole list at once on
PostgreSQL, a batch of 5,000 at a time elsewhere (SQLite's limit on parameters).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import CharField, Field, ForeignObject, Lookup
from django.db.models.lookups import In

T = TypeVar("T")
BATCH = 5000

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # django-treebeard's, in sort order


def successor(prefix: str) -> str:
    """The smallest path above every path that starts with `prefix`."""

    head, last = prefix[:-1], prefix[-1]
    i = ALPHABET.index(last)
    if i + 1 < len(ALPHABET):
        return head + ALPHABET[i + 1]
    return successor(head) if head else "~"


@CharField.register_lookup
class Under(Lookup):
    lookup_name = "under"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if not isinstance(self.rhs, str):  # a column or subquery has no successor to compute
            raise TypeError("path__under 只接受路径字符串")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefix = self.rhs
        if not prefix:
            return "1 = 1", []
        return f"({lhs} >= %s AND {lhs} < %s)", [*lhs_params, prefix, successor(prefix)]


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False  # the list goes as it is, one parameter; In prepares each value

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        if connection.vendor != "postgresql":
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # a foreign key's lookups are its own class's, not Field's


def any_sql(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """The same condition for raw SQL: `column = ANY(%s)` on PostgreSQL, `column IN (...)`
    elsewhere, with its parameters (`column` is an identifier of the caller's, never input)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def batches(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """A long list for `__any`: whole on PostgreSQL, in batches of 5,000 elsewhere."""
    step = max(len(values), 1) if connection.vendor == "postgresql" else BATCH
    for i in range(0, len(values), step):
        yield values[i : i + step]
