"""组团帮扶 exported and printed (web.exports): the villages with their income, the figures per
district or town, a round's pairings, the plots of a season — each with its page's filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from dangjian.core.errors import NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web.exports import Described, Export, register

from . import money, selectors
from .models import Round

WEAK = {"1": "薄弱村", "down": "比上年减少", "none": "未报数字"}
PLOT_STATES = {"free": "可认领", "adopted": "已认领"}


def _org(user: Any, params: QueryDict) -> Any:
    raw = params.get("org", "")
    if not raw.isdecimal():
        raise NotVisible()
    return org_selectors.org_get(user, int(raw))


def _year(params: QueryDict) -> int:
    raw = params.get("year", "")
    today = timezone.localdate()
    return int(raw) if raw.isdecimal() and 2000 <= int(raw) <= today.year else today.year - 1


def _villages(user: Any, params: QueryDict) -> Any:
    return selectors.village_list(
        user,
        _org(user, params),
        _year(params),
        weak_fen=selectors.weak_fen(),
        **{k: (params.get(k) or "").strip()[:50] for k in ("q", "town", "key", "weak")},
    )


def _village_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for v in _villages(user, params).iterator(chunk_size=2000):
        yield [
            v.code,
            v.name,
            v.town,
            v.district,
            v.population,
            v.households,
            v.key,
            money.wan(v.income),
            money.wan(v.operating),
            money.wan(v.previous),
        ]


def _area_rows(user: Any, params: QueryDict) -> list[list[Any]]:
    org, year = _org(user, params), _year(params)
    villages = selectors.villages_for(user, org)
    level = "town" if villages.values("district").distinct().count() <= 1 else "district"
    out = [
        [
            a["district"],
            a.get("town", ""),
            a["villages"],
            a["reported"],
            money.wan(a["total_fen"]),
            money.wan(a["previous_total_fen"]),
            f"{a['growth_pct']}%" if a["growth_pct"] is not None else "",
            money.wan(a["average_fen"]),
        ]
        for a in selectors.by_area(villages, year, level)
    ]
    s = selectors.summarize(villages, year, selectors.weak_fen())
    out.append(
        [
            "合计",
            "",
            s.villages,
            s.reported,
            money.wan(s.total_fen),
            money.wan(s.previous_total_fen),
            f"{s.growth_pct}%" if s.growth_pct is not None else "",
            money.wan(s.average_fen),
        ]
    )
    return out


def _round(user: Any, params: QueryDict) -> Round:
    raw = params.get("round", "")
    if not raw.isdecimal():
        raise NotVisible()
    return selectors.round_get(user, int(raw))


def _pairings(user: Any, params: QueryDict) -> Any:
    r = _round(user, params)
    return selectors.round_key_villages(user, r, r.organization, params.get("state", ""))


def _pairing_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for v in _pairings(user, params).iterator(chunk_size=2000):
        yield [v.code, v.name, v.town, v.district, v.unit_name or "未结对"]


def _plots(user: Any, params: QueryDict) -> Any:
    season = (params.get("season") or str(timezone.localdate().year)).strip()[:6]
    return selectors.plots_for(
        user,
        q=(params.get("q") or "").strip()[:50],
        state=params.get("state", ""),
        season=season,
    )


def _plot_rows(user: Any, params: QueryDict) -> Iterator[list[Any]]:
    for p in _plots(user, params).iterator(chunk_size=2000):
        yield [p.code, p.village.name, p.village.town, p.area_mu, p.crop, p.unit_name or ""]


for _export in (
    Export(
        name="villages_list",
        title="行政村村集体收入",
        columns=[
            "村代码",
            "村名",
            "镇（街道）",
            "区",
            "户籍人口",
            "户数",
            "重点村",
            "本年收入（万元）",
            "其中经营性（万元）",
            "上年收入（万元）",
        ],  # fmt: skip
        widths=[14, 14, 14, 10, 10, 8, 8, 14, 14, 14],
        rows=_village_rows,
        count=lambda user, params: _villages(user, params).count(),
        describe=lambda user, params: Described(
            f"{_org(user, params).name} {_year(params)}年",
            [
                ("收入情况", WEAK.get(params.get("weak", ""), "")),
                ("镇（街道）", params.get("town", "")),
                ("查找", params.get("q", "")),
            ],  # fmt: skip
        ),
    ),
    Export(
        name="villages_areas",
        title="村集体经济收入汇总",
        columns=[
            "区",
            "镇（街道）",
            "村数",
            "已报",
            "合计（万元）",
            "上年（万元）",
            "同比",
            "村均（万元）",
        ],
        widths=[12, 14, 8, 8, 14, 14, 10, 14],
        rows=_area_rows,
        count=lambda user, params: len(_area_rows(user, params)),
        describe=lambda user, params: Described(f"{_org(user, params).name} {_year(params)}年", []),
    ),
    Export(
        name="villages_pairings",
        title="重点村“1+1”结对",
        columns=["村代码", "村名", "镇（街道）", "区", "结对单位"],
        widths=[14, 14, 14, 10, 36],
        rows=_pairing_rows,
        count=lambda user, params: _pairings(user, params).count(),
        describe=lambda user, params: Described(
            _round(user, params).name,
            [("结对情况", {"none": "未结对", "paired": "已结对"}.get(params.get("state", ""), ""))],
        ),
    ),
    Export(
        name="villages_plots",
        title="我在乡间有亩田",
        columns=["地块代码", "村", "镇（街道）", "面积（亩）", "作物", "认领单位"],
        widths=[14, 14, 14, 10, 10, 36],
        rows=_plot_rows,
        count=lambda user, params: _plots(user, params).count(),
        describe=lambda user, params: Described(
            f"{(params.get('season') or timezone.localdate().year)}认领地块",
            [
                ("认领情况", PLOT_STATES.get(params.get("state", ""), "")),
                ("查找", params.get("q", "")),
            ],
        ),
    ),
):
    register(_export)
