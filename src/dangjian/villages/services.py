"""组团帮扶 writes. One transaction each, audited."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members.models import Member
from dangjian.notify.services import handover_notice, member_users, notice_send
from dangjian.orgs.models import Organization

from .models import (
    ActivityKind,
    Adoption,
    Area,
    AreaMember,
    JointCommittee,
    JointVillage,
    Matter,
    Pairing,
    Plot,
    PlotActivity,
    PlotPhoto,
    Presence,
    Project,
    ProjectStatus,
    ProjectYear,
    Resident,
    ResidentRole,
    Round,
    TownYear,
    Village,
    VillageYear,
    Visit,
)
from .money import CEILING_YUAN, parse_yuan


def _pk(obj: Any) -> int:
    """The record's key, or 0 (no record has it) for a new one: `exclude(pk=_pk(obj))`."""
    return obj.pk if obj is not None and obj.pk is not None else 0


def _can(actor: Actor, org: Organization, action: str = "change") -> None:
    if actor is not None and not policy.can(actor, action, org):
        raise NotVisible("没有该村党组织的权限")


def may_run_rounds(actor: Actor, org: Organization) -> bool:
    """Rounds are run by an organization department: staff who manage a 党委 above the villages
    (not a village's own committee)."""
    return (
        org.kind == "committee"
        and org.category != "village"
        and (actor is None or policy.can(actor, "manage", org))
    )


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


@transaction.atomic(durable=True)
def town_income_record(
    *, actor: Actor, district: str, town: str, year: int, disposable: Any
) -> TownYear:
    """A town's rural per-capita disposable income for a year (yuan), by those who may change
    the villages of that town; entered again, it replaces the year."""
    villages = Village.objects.filter(district=district, town=town).select_related("organization")
    if not villages.exists():
        raise DomainError("no_town", f"{district}{town}没有登记的行政村", field="town")
    if actor is not None:
        mine = policy.path_q(actor, "change", "organization__path")
        if mine is None or villages.exclude(mine).exists():
            raise NotVisible("没有该镇所有村的权限")
    if not 2000 <= year <= timezone.localdate().year:
        raise DomainError("bad_year", f"年度{year}不对（不能是将来的年份）", field="year")
    fen = parse_yuan(
        disposable, field="disposable", label="人均可支配收入", ceiling=Decimal(1_000_000)
    )
    row = (
        TownYear.objects.select_for_update().filter(district=district, town=town, year=year).first()
    )
    before = row.disposable_fen if row else None
    row = row or TownYear(district=district, town=town, year=year)
    row.disposable_fen = fen
    row.save()
    audit_record(
        actor=actor,
        action="villages.town_income_record",
        obj=row,
        organization=villages[0].organization,
        data={
            "district": district,
            "town": town,
            "year": year,
            "disposable_fen": fen,
            "before": before,
        },  # fmt: skip
    )
    return row


# --- rounds, areas, pairings -------------------------------------------------------------------


def _text(value: Any, field: str, label: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("required", f"请填写{label}", field=field)
    if len(value) > limit:
        raise DomainError("too_long", f"{label}不能超过{limit}个字", field=field)
    return value


@transaction.atomic(durable=True)
def round_save(
    *,
    actor: Actor,
    organization: Organization,
    name: str,
    starts_on: date,
    ends_on: date,
    round: Round | None = None,
) -> Round:
    """A round of group assistance, new or changed (by the organization department running it:
    its rounds concern the villages of its subtree only)."""
    _can(actor, organization)
    if not may_run_rounds(actor, organization):
        raise DomainError(
            "not_department", "帮扶轮次由党委（组织部门）建立，本组织不能建立", field="organization"
        )
    name = _text(name, "name", "轮次名称", 50)
    if ends_on < starts_on:
        raise DomainError("bad_period", "结束日期不能早于开始日期", field="ends_on")
    clash = Round.objects.filter(name=name).exclude(pk=_pk(round))
    if clash.exists():
        raise DomainError("duplicate", f"已有轮次“{name}”", field="name")
    r = round or Round()
    r.organization, r.name, r.starts_on, r.ends_on = organization, name, starts_on, ends_on
    r.save()
    audit_record(
        actor=actor,
        action="villages.round_save",
        obj=r,
        organization=organization,
        data={"name": name, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return r


def _unit_in(round: Round, unit: Organization, field: str = "unit") -> None:
    """A paired or sending unit is an organization under the round's organizer."""
    if not unit.path.startswith(round.organization.path):
        raise DomainError(
            "outside", f"“{unit.name}”不在{round.organization.name}的下级组织中", field=field
        )


@transaction.atomic(durable=True)
def area_save(
    *,
    actor: Actor,
    round: Round,
    name: str,
    villages: Any,
    team_name: str,
    leader: str,
    leader_unit: Organization | None = None,
    contact: str = "",
    phone: str = "",
    area: Area | None = None,
) -> Area:
    """A 片区 of a round with its villages and its one team (a village in one area a round)."""
    _can(actor, round.organization)
    name = _text(name, "name", "片区名称", 50)
    team_name = _text(team_name, "team_name", "帮扶团队名称", 80)
    leader = _text(leader, "leader", "团长", 30)
    contact = _text(contact, "contact", "联系人", 30, required=False)
    phone = (phone or "").strip()
    if phone and not (phone.isdecimal() and 7 <= len(phone) <= 12):
        raise DomainError("bad_phone", "联系电话应为7至12位数字", field="phone")
    villages = list(villages or [])
    if not villages:
        raise DomainError("required", "请选择片区的村", field="villages")
    if leader_unit is not None:
        _unit_in(round, leader_unit, "leader_unit")
    taken = list(
        Area.villages.through.objects.filter(area__round=round, village__in=villages)
        .exclude(area_id=_pk(area))
        .values_list("village__name", "area__name")[:3]
    )
    if taken:
        raise DomainError(
            "taken",
            "、".join(f"{v}已在片区“{a}”" for v, a in taken) + "（一个村一轮只属一个片区）",
            field="villages",
        )
    if Area.objects.filter(round=round, name=name).exclude(pk=_pk(area)).exists():
        raise DomainError("duplicate", f"本轮已有片区“{name}”", field="name")
    a = area or Area(round=round)
    a.name, a.team_name, a.leader, a.leader_unit = name, team_name, leader, leader_unit
    a.contact, a.phone = contact, phone
    a.save()
    a.villages.set(villages)
    audit_record(
        actor=actor,
        action="villages.area_save",
        obj=a,
        organization=round.organization,
        data={"round": round.name, "name": name, "villages": [v.code for v in villages]},
    )
    return a


@transaction.atomic(durable=True)
def area_member_add(
    *, actor: Actor, area: Area, name: str, unit: Organization, duty: str = ""
) -> AreaMember:
    _can(actor, area.round.organization)
    name = _text(name, "name", "姓名", 30)
    duty = _text(duty, "duty", "分工", 50, required=False)
    _unit_in(area.round, unit)
    m = AreaMember.objects.create(area=area, name=name, unit=unit, duty=duty)
    audit_record(
        actor=actor,
        action="villages.area_member_add",
        obj=m,
        organization=area.round.organization,
        data={"area": area.name, "name": name, "unit": unit.code},
    )
    return m


@transaction.atomic(durable=True)
def pairing_set(*, actor: Actor, round: Round, village: Village, unit: Organization) -> Pairing:
    """“1+1”: the key village's paired unit for the round (one a round; set again, it changes);
    the unit's party-affairs workers are told."""
    _can(actor, round.organization)
    if not village.key:
        raise DomainError("not_key", f"{village.name}不是重点村，无需“1+1”结对", field="village")
    if not village.organization.path.startswith(round.organization.path):
        raise DomainError(
            "outside", f"{village.name}不在{round.organization.name}的范围内", field="village"
        )
    _unit_in(round, unit)
    if unit.category == "village":
        raise DomainError("bad_unit", "结对单位应为机关、事业单位或国有企业", field="unit")
    p = Pairing.objects.select_for_update().filter(round=round, village=village).first()
    before = p.unit.code if p else None
    if p is None:
        p = Pairing(round=round, village=village)
    p.unit = unit
    p.save()
    audit_record(
        actor=actor,
        action="villages.pairing_set",
        obj=p,
        organization=round.organization,
        data={"round": round.name, "village": village.code, "unit": unit.code, "before": before},
    )
    handover_notice(
        organization=unit,
        title="“1+1”结对帮扶",
        body=f"本单位与{village.town}{village.name}结对（{round.name}），"
        "请对接村党组织和驻村工作队，研究帮扶项目。",
        url=reverse("villages:village", args=[village.pk]),
        key=f"villages-pair:{p.pk}:{unit.pk}",
    )
    return p


# --- the resident work team --------------------------------------------------------------------


@transaction.atomic(durable=True)
def resident_post(
    *,
    actor: Actor,
    village: Village,
    member: Member,
    role: str,
    unit: Organization,
    arrived_on: date,
    left_on: date | None = None,
    resident: Resident | None = None,
) -> Resident:
    """A member posted to the village's resident work team (or the posting changed: role, dates);
    the member is told and finds the team's work on the phone."""
    v = Village.objects.select_related("organization").get(pk=village.pk)
    _can(actor, v.organization)
    if actor is not None and not (
        policy.can(actor, "view", member.organization) and policy.can(actor, "view", unit)
    ):
        raise NotVisible("没有该党员或派出单位的权限")
    if role not in ResidentRole.values:
        raise DomainError("bad_role", "请选择职务（第一书记、队长、队员）", field="role")
    if left_on is not None and left_on < arrived_on:
        raise DomainError("bad_period", "离村日期不能早于到村日期", field="left_on")
    if arrived_on > timezone.localdate() + timedelta(days=90):
        raise DomainError("bad_date", "到村日期太远（最多提前90天登记）", field="arrived_on")
    overlap = Resident.objects.filter(member=member).exclude(pk=_pk(resident))
    overlap = overlap.filter(Q(left_on__isnull=True) | Q(left_on__gte=arrived_on))
    if left_on is not None:
        overlap = overlap.filter(arrived_on__lte=left_on)
    clash = overlap.select_related("village").first()
    if clash is not None:
        raise DomainError("overlap", f"{member.name}同期已派驻{clash.village.name}", field="member")
    if resident is not None:
        outside = resident.days.filter(
            Q(day__lt=arrived_on) | (Q(day__gt=left_on) if left_on else Q(pk__in=[]))
        )
        if outside.exists():
            raise DomainError(
                "has_days", "已有在岗记录在新的到村、离村日期之外，请先核对日期", field="left_on"
            )
    r = resident or Resident(village=v)
    created = resident is None
    r.member, r.role, r.unit, r.arrived_on, r.left_on = member, role, unit, arrived_on, left_on
    r.save()
    audit_record(
        actor=actor,
        action="villages.resident_post",
        obj=r,
        organization=v.organization,
        data={
            "village": v.code,
            "member": member.member_no,
            "role": role,
            "unit": unit.code,
            "arrived_on": arrived_on.isoformat(),
            "left_on": left_on.isoformat() if left_on else None,
            "created": created,
        },
    )
    if created:
        notice_send(
            users=member_users([member.pk]),
            organization=v.organization,
            title="驻村工作",
            body=f"您已被派驻{v.town}{v.name}（{r.get_role_display()}），"
            f"{arrived_on:%Y年%-m月%-d日}到村。请每天在手机上登记在岗情况和入户走访。",
            url=reverse("villages:my"),
            key=f"villages-resident:{r.pk}",
        )
    return r


def _own_resident(actor: Actor, resident: Resident) -> None:
    """The resident themselves, or staff who change the village's organization."""
    if actor is not None and getattr(actor, "member_id", None) == resident.member_id:
        return
    _can(actor, resident.village.organization)


def _on_post(resident: Resident, day: date, field: str) -> None:
    today = timezone.localdate()
    if day > today:
        raise DomainError("future", "日期不能晚于今天", field=field)
    if day < resident.arrived_on:
        raise DomainError(
            "before_arrival",
            f"{day:%Y-%m-%d}还未到村（{resident.arrived_on:%Y-%m-%d}到村）",
            field=field,
        )
    if resident.left_on and day > resident.left_on:
        raise DomainError(
            "after_leaving", f"{day:%Y-%m-%d}已离村（{resident.left_on:%Y-%m-%d}离村）", field=field
        )


@transaction.atomic(durable=True)
def presence_log(
    *, actor: Actor, resident: Resident, day: date, on_site: bool = True, reason: str = ""
) -> Presence:
    """A day of the resident team member: on site, or away with the reason (logged again the
    same day, it replaces the day)."""
    r = Resident.objects.select_related("village__organization", "member").get(pk=resident.pk)
    _own_resident(actor, r)
    _on_post(r, day, "day")
    reason = _text(reason, "reason", "不在村原因", 100, required=not on_site)
    if on_site:
        reason = ""
    p, created = Presence.objects.update_or_create(
        resident=r, day=day, defaults={"on_site": on_site, "reason": reason}
    )
    audit_record(
        actor=actor,
        action="villages.presence_log",
        obj=p,
        organization=r.village.organization,
        data={
            "village": r.village.code,
            "member": r.member.member_no,
            "day": day.isoformat(),
            "on_site": on_site,
            "reason": reason,
            "created": created,
        },  # fmt: skip
    )
    return p


@transaction.atomic(durable=True)
def visit_log(
    *,
    actor: Actor,
    resident: Resident,
    household: str,
    visited_on: date,
    learned: str = "",
    asked: str = "",
) -> Visit:
    """A household visit by a resident team member (进万家门、知万家情)."""
    r = Resident.objects.select_related("village__organization", "member").get(pk=resident.pk)
    _own_resident(actor, r)
    household = _text(household, "household", "走访农户", 50)
    _on_post(r, visited_on, "visited_on")
    learned = _text(learned, "learned", "了解情况", 2000, required=False)
    asked = _text(asked, "asked", "群众诉求", 2000, required=False)
    if not (learned or asked):
        raise DomainError("required", "请填写了解到的情况或群众的诉求", field="learned")
    v = Visit.objects.create(
        village=r.village,
        resident=r,
        household=household,
        visited_on=visited_on,
        learned=learned,
        asked=asked,
    )
    audit_record(
        actor=actor,
        action="villages.visit_log",
        obj=v,
        organization=r.village.organization,
        data={"village": r.village.code, "visited_on": visited_on.isoformat()},
    )
    return v


@transaction.atomic(durable=True)
def matter_log(
    *, actor: Actor, resident: Resident, what: str, for_whom: str, done_on: date, result: str = ""
) -> Matter:
    """A matter handled for villagers (办万家事)."""
    r = Resident.objects.select_related("village__organization", "member").get(pk=resident.pk)
    _own_resident(actor, r)
    what = _text(what, "what", "事项", 100)
    for_whom = _text(for_whom, "for_whom", "服务对象", 50)
    _on_post(r, done_on, "done_on")
    result = _text(result, "result", "办理结果", 2000, required=False)
    m = Matter.objects.create(
        village=r.village, resident=r, what=what, for_whom=for_whom, done_on=done_on, result=result
    )
    audit_record(
        actor=actor,
        action="villages.matter_log",
        obj=m,
        organization=r.village.organization,
        data={"village": r.village.code, "what": what, "done_on": done_on.isoformat()},
    )
    return m


@transaction.atomic(durable=True)
def project_save(
    *,
    actor: Actor,
    village: Village,
    name: str,
    industry: str,
    investment: Any = "0",
    partners: str = "",
    status: str = ProjectStatus.PLANNED,
    started_on: date | None = None,
    project: Project | None = None,
) -> Project:
    v = Village.objects.select_related("organization").get(pk=village.pk)
    _can(actor, v.organization)
    name = _text(name, "name", "项目名称", 80)
    industry = _text(industry, "industry", "产业", 50)
    partners = _text(partners, "partners", "合作方", 200, required=False)
    if status not in ProjectStatus.values:
        raise DomainError("bad_status", "请选择项目状态", field="status")
    if started_on and started_on > timezone.localdate() + timedelta(days=366):
        raise DomainError("bad_date", "启动日期太远", field="started_on")
    fen = parse_yuan(investment or "0", field="investment", label="投资", ceiling=ceiling())
    p = project or Project(village=v)
    p.name, p.industry, p.investment_fen, p.partners = name, industry, fen, partners
    p.status, p.started_on = status, started_on
    p.save()
    audit_record(
        actor=actor,
        action="villages.project_save",
        obj=p,
        organization=v.organization,
        data={"village": v.code, "name": name, "status": status, "investment_fen": fen},
    )
    return p


@transaction.atomic(durable=True)
def project_income(*, actor: Actor, project: Project, year: int, income: Any) -> ProjectYear:
    p = Project.objects.select_related("village__organization").get(pk=project.pk)
    _can(actor, p.village.organization)
    if not 2000 <= year <= timezone.localdate().year:
        raise DomainError("bad_year", f"年度{year}不对（不能是将来的年份）", field="year")
    fen = parse_yuan(income, field="income", label="带动村集体增收", ceiling=ceiling())
    row, _ = ProjectYear.objects.update_or_create(
        project=p, year=year, defaults={"income_fen": fen}
    )
    audit_record(
        actor=actor,
        action="villages.project_income",
        obj=row,
        organization=p.village.organization,
        data={"project": p.name, "year": year, "income_fen": fen},
    )
    return row


# --- 跨村联建 ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def joint_set(*, actor: Actor, organization: Organization, villages: Any) -> JointCommittee:
    """A joint party committee across villages and the villages it joins (at least two; a
    village in one joint committee at a time)."""
    _can(actor, organization)
    villages = list(villages or [])
    if len(villages) < 2:
        raise DomainError("too_few", "跨村联建至少包括两个村", field="villages")
    if organization.category != "village":
        raise DomainError(
            "not_village", f"“{organization.name}”不是农村党组织", field="organization"
        )
    ids = [v.pk for v in villages]
    mine = policy.path_q(actor, "change", "organization__path") if actor is not None else None
    if actor is not None and (
        mine is None or Village.objects.filter(pk__in=ids).exclude(mine).exists()
    ):
        raise NotVisible("没有所选村的权限")
    jc, _ = JointCommittee.objects.get_or_create(organization=organization)
    taken = list(
        JointVillage.objects.filter(village__in=villages)
        .exclude(committee=jc)
        .values_list("village__name", "committee__organization__name")[:3]
    )
    if taken:
        raise DomainError("taken", "、".join(f"{v}已属“{o}”" for v, o in taken), field="villages")
    JointVillage.objects.filter(committee=jc).exclude(village__in=villages).delete()
    have = set(JointVillage.objects.filter(committee=jc).values_list("village_id", flat=True))
    JointVillage.objects.bulk_create(
        [JointVillage(committee=jc, village=v) for v in villages if v.pk not in have]
    )
    audit_record(
        actor=actor,
        action="villages.joint_set",
        obj=jc,
        organization=organization,
        data={"villages": sorted(v.code for v in villages)},
    )
    return jc


# --- 我在乡间有亩田 -------------------------------------------------------------------------------


def parse_mu(raw: Any, field: str = "area_mu") -> Decimal:
    """An area in 亩, more than 0, at most one decimal."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("bad_area", f"面积“{raw}”不是有效的数", field=field) from None
    if not value.is_finite() or value <= 0:
        raise DomainError("bad_area", "面积应大于0亩", field=field)
    if value != value.quantize(Decimal("0.1")):
        raise DomainError("bad_area", "面积最多保留1位小数", field=field)
    if value > 10000:
        raise DomainError("bad_area", "面积超过10000亩，请核对", field=field)
    return value.quantize(Decimal("0.1"))


@transaction.atomic(durable=True)
def plot_save(
    *, actor: Actor, village: Village, code: str, area_mu: Any, crop: str, plot: Plot | None = None
) -> Plot:
    v = Village.objects.select_related("organization").get(pk=village.pk)
    _can(actor, v.organization)
    code = _text(code, "code", "地块代码", 32)
    crop = _text(crop, "crop", "作物", 30)
    area = parse_mu(area_mu)
    if Plot.objects.filter(code=code).exclude(pk=_pk(plot)).exists():
        raise DomainError("duplicate", f"已有地块代码“{code}”", field="code")
    p = plot or Plot()
    p.code, p.village, p.area_mu, p.crop = code, v, area, crop
    p.save()
    audit_record(
        actor=actor,
        action="villages.plot_save",
        obj=p,
        organization=v.organization,
        data={"code": code, "village": v.code, "area_mu": str(area), "crop": crop},
    )
    return p


def check_season(season: str, field: str = "season") -> str:
    """A season: a year (“2024”) or a year and 春/夏/秋/冬 (“2024春”)."""
    season = (season or "").strip()
    year = season[:4]
    if not (
        year.isdecimal()
        and 2000 <= int(year) <= timezone.localdate().year + 1
        and season[4:] in ("", "春", "夏", "秋", "冬")
    ):
        raise DomainError(
            "bad_season", f"季节“{season}”应为年份或年份加春夏秋冬，如2024春", field=field
        )
    return season


@transaction.atomic(durable=True)
def plot_adopt(
    *,
    actor: Actor,
    plot: Plot,
    unit: Organization,
    season: str,
    agreement: str = "",
    fee: Any = "0",
) -> Adoption:
    """A unit adopts a plot for a season (one unit a plot and season); the village's party
    organization is told."""
    _can(actor, unit)
    # the plot's row locked: two units adopting it at once are served one after the other
    p = (
        Plot.objects.select_for_update(of=("self",))
        .select_related("village__organization")
        .get(pk=plot.pk)
    )
    season = check_season(season)
    agreement = _text(agreement, "agreement", "认领协议", 200, required=False)
    fen = parse_yuan(fee or "0", field="fee", label="认领费用", ceiling=ceiling())
    # a whole year (“2024”) and a season of it (“2024春”) overlap; two seasons of a year do not
    year = season[:4]
    clash = Q(season=season) | (Q(season=year) if season != year else Q(season__startswith=year))
    held = Adoption.objects.filter(clash, plot=p).select_related("unit").first()
    if held is not None:
        raise DomainError(
            "taken", f"地块{p.code}{held.season}已由{held.unit.name}认领", field="plot"
        )
    a = Adoption.objects.create(plot=p, unit=unit, season=season, agreement=agreement, fee_fen=fen)
    audit_record(
        actor=actor,
        action="villages.plot_adopt",
        obj=a,
        organization=unit,
        data={"plot": p.code, "village": p.village.code, "season": season, "fee_fen": fen},
    )
    handover_notice(
        organization=p.village.organization,
        title="单位认领地块",
        body=f"{unit.name}认领了{p.village.name}地块{p.code}（{p.area_mu}亩{p.crop}，{season}），"
        "请对接农事安排。",
        url=reverse("villages:plot", args=[p.pk]),
        key=f"villages-adopt:{a.pk}",
    )
    return a


@transaction.atomic(durable=True)
def plot_activity(
    *,
    actor: Actor,
    adoption: Adoption,
    kind: str,
    done_on: date,
    members: Any,
    note: str = "",
    yield_kg: Any = None,
    destination: str = "",
    photos: Any = None,
) -> PlotActivity:
    """Work on an adopted plot with the unit's members who took part (and photos); a harvest
    records its yield and where it went."""
    a = Adoption.objects.select_related("unit", "plot__village").get(pk=adoption.pk)
    _can(actor, a.unit)
    if kind not in ActivityKind.values:
        raise DomainError("bad_kind", "请选择活动类型", field="kind")
    if done_on > timezone.localdate():
        raise DomainError("future", "日期不能晚于今天", field="done_on")
    if not done_on.isoformat().startswith(a.season[:4]):
        raise DomainError("bad_date", f"日期应在认领年度{a.season[:4]}年内", field="done_on")
    members = list(members or [])
    if not members:
        raise DomainError("required", "请选择参加的党员", field="members")
    outside = [m.name for m in members if not m.organization.path.startswith(a.unit.path)]
    if outside:
        raise DomainError("outside", f"{'、'.join(outside[:3])}不是本单位党员", field="members")
    note = _text(note, "note", "内容", 200, required=False)
    destination = _text(destination, "destination", "去向", 100, required=False)
    amount = None
    if kind == ActivityKind.HARVEST:
        try:
            amount = Decimal(str(yield_kg).strip())
        except (InvalidOperation, ValueError):
            raise DomainError("bad_yield", "请填写收获的公斤数", field="yield_kg") from None
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.1")):
            raise DomainError("bad_yield", "收获应为不小于0的数，最多1位小数", field="yield_kg")
        if amount > 10_000_000:
            raise DomainError("bad_yield", "收获超过1000万公斤，请核对", field="yield_kg")
        if not destination:
            raise DomainError("required", "请填写收获的去向（如捐赠食堂）", field="destination")
    with uploads.photos_stored(photos, folder="villages") as stored:
        act = PlotActivity.objects.create(
            adoption=a,
            kind=kind,
            done_on=done_on,
            note=note,
            yield_kg=amount,
            destination=destination if kind == ActivityKind.HARVEST else "",
        )
        act.members.set(members)
        uploads.records(PlotPhoto, stored, actor, activity=act)
        audit_record(
            actor=actor,
            action="villages.plot_activity",
            obj=act,
            organization=a.unit,
            data={
                "plot": a.plot.code,
                "kind": kind,
                "done_on": done_on.isoformat(),
                "members": len(members),
                "yield_kg": str(amount) if amount is not None else None,
                "photos": len(stored),
            },  # fmt: skip
        )
    return act
