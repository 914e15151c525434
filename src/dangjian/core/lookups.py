"""`path__under=P`: the organizations in the subtree at P (materialized paths), as an index range.

`path__startswith` compiles to LIKE 'P%', which SQLite never serves from an index and
PostgreSQL only with a pattern operator class; a range P <= path < successor(P) is served by the
plain unique index on the path, so a rule re-run over one branch reads that branch's rows instead
of the city's (compliance.follow).
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup

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
