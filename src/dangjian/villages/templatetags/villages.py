"""Money in the villages' pages: fen shown as 万元 or 元 (half up, as the city rounds)."""

from __future__ import annotations

from typing import Any

from django import template

from dangjian.villages import money, selectors

register = template.Library()


@register.filter
def wan(fen: Any) -> str:
    return "—" if fen is None or fen == "" else money.wan(int(fen))


@register.filter
def yuan(fen: Any) -> str:
    return "—" if fen is None or fen == "" else money.yuan(int(fen))


@register.filter
def growth(current: Any, previous: Any) -> str:
    """The change over the year before in % (one decimal, half up), signed."""
    if current is None or not previous:
        return "—"
    pct = selectors.growth(int(current), int(previous)) or 0
    return f"{'+' if pct > 0 else ''}{pct}%"
