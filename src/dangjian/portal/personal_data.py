"""A member's own data, as they download it (我的 → 个人信息, security.md F2): their record with
the full ID number and phone (theirs to see), and every row of every table that refers to them,
found through the model relations (so a table added later is included without a change here).
Secrets are never included: password and code hashes, ciphertexts and blind indexes, signed
tokens and payloads, MACs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from dangjian.members.models import Member

SECRET_SUFFIXES = ("_encrypted", "_index", "_hash", "password", "token", "payload", "secret", "mac")
ROW_LIMIT = 5000  # per table; a member's own rows are far fewer


def _value(obj: models.Model, f: models.Field) -> Any:
    if f.choices:
        return getattr(obj, f"get_{f.name}_display")()
    v = f.value_from_object(obj)
    if isinstance(v, datetime):
        return timezone.localtime(v).isoformat() if timezone.is_aware(v) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dict, list, int, float, bool, str)) or v is None:
        return v
    return str(v)


def _row(obj: models.Model, skip: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name == skip or f.name.endswith(SECRET_SUFFIXES) or f.name == "id":
            continue
        label = str(f.verbose_name)
        if isinstance(f, models.ForeignKey):
            target = getattr(obj, f.name)
            out[label] = str(target) if target is not None else None
        else:
            out[label] = _value(obj, f)
    return out


def personal_data(member: Member) -> dict[str, Any]:
    record = _row(member)
    record["身份证号"] = member.id_number() if member.id_number_encrypted else ""
    record["手机号"] = member.phone() if member.phone_encrypted else ""
    tables: dict[str, list[dict[str, Any]]] = {}
    for rel in Member._meta.related_objects:
        model = rel.related_model
        if not isinstance(model, type) or not issubclass(model, models.Model):
            continue
        fk = rel.field.name
        # the rows name what they point at: fetched in the same query, not one query per row
        targets = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.name != fk
        ]
        rows = (
            model._default_manager.filter(**{fk: member})
            .select_related(*targets)
            .order_by("pk")[:ROW_LIMIT]
        )
        got = [_row(obj, skip=fk) for obj in rows]
        if got:
            name = str(model._meta.verbose_name_plural)
            tables[name] = tables.get(name, []) + got
    return {
        "说明": "本文件为您在党建平台中的个人信息，请妥善保管，勿转发他人。",
        "导出时间": timezone.localtime().isoformat(),
        "党员信息": record,
        "相关记录": tables,
    }
