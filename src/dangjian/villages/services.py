"""组团帮扶 writes. One transaction each, audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.orgs.models import Organization

from .models import Village, VillageYear
from .money import CEILING_YUAN, parse_yuan


def _can(actor: Actor, org: Organization) -> None:
    if actor is not None and not policy.can(actor, "change", org):
        raise NotVisible("没有该村党组织的权限")


@transaction.atomic(durable=True)
def village_save(
    *,
    actor: Actor,
    code: str,
    name: str,
    town: str,
    district: str,
    organization: Organization,
    population: int = 0,
    households: int = 0,
    key: bool = False,
) -> Village:
    """An administrative village, new or changed (by its code)."""
    _can(actor, organization)
    code, name = (code or "").strip(), (name or "").strip()
    town, district = (town or "").strip(), (district or "").strip()
    required = (
        (code, "code", "村代码"),
        (name, "name", "村名"),
        (town, "town", "镇（街道）"),
        (district, "district", "区"),
    )
    for value, field, label in required:
        if not value:
            raise DomainError("required", f"请填写{label}", field=field)
    if organization.category != "village":
        raise DomainError(
            "not_village", f"“{organization.name}”不是农村党组织", field="organization"
        )
    if population < 0 or households < 0:
        raise DomainError("invalid", "人口和户数不能为负数", field="population")
    v, created = Village.objects.select_for_update().get_or_create(
        code=code,
        defaults={
            "name": name,
            "town": town,
            "district": district,
            "organization": organization,
            "population": population,
            "households": households,
            "key": key,
        },
    )
    if not created:
        _can(actor, v.organization)
        v.name, v.town, v.district, v.organization = name, town, district, organization
        v.population, v.households, v.key = population, households, key
        v.save()
    audit_record(
        actor=actor,
        action="villages.village_save",
        obj=v,
        organization=organization,
        data={"code": code, "name": name, "key": key, "created": created},
    )
    return v


def ceiling() -> Any:
    return getattr(settings, "VILLAGE_INCOME_CEILING_YUAN", None) or CEILING_YUAN


@transaction.atomic(durable=True)
def income_record(
    *, actor: Actor, village: Village, year: int, collective: Any, operating: Any = "0"
) -> VillageYear:
    """A village's collective income for a year and its operating part (yuan, two decimals);
    entered again, it replaces the year's figures (both kept in the audit)."""
    v = Village.objects.select_related("organization").get(pk=village.pk)
    _can(actor, v.organization)
    if not 2000 <= year <= timezone.localdate().year:
        raise DomainError("bad_year", f"{v.name}：年度{year}不对（不能是将来的年份）", field="year")
    total = parse_yuan(collective, field="collective", label="村集体收入", ceiling=ceiling())
    part = parse_yuan(operating or "0", field="operating", label="经营性收入", ceiling=ceiling())
    if part > total:
        raise DomainError("invalid", "经营性收入不能多于村集体收入", field="operating")
    row = VillageYear.objects.select_for_update().filter(village=v, year=year).first()
    before = (row.collective_fen, row.operating_fen) if row else None
    if row is None:
        row = VillageYear(village=v, year=year)
    row.collective_fen, row.operating_fen = total, part
    row.recorded_by = actor if getattr(actor, "pk", None) else None
    row.save()
    audit_record(
        actor=actor,
        action="villages.income_record",
        obj=row,
        organization=v.organization,
        data={
            "village": v.code,
            "year": year,
            "collective_fen": total,
            "operating_fen": part,
            "before": list(before) if before else None,
        },
    )
    return row
