"""The personal-information inventory (core/privacy.py) against the models (F1)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

from dangjian.core import privacy

# names that hold something about a person
PERSONAL_NAME = re.compile(
    r"(^|_)(name|names|phone|mobile|contact|id_number|birth|gender|ethnicity|education|"
    r"occupation|work_unit|unit_name|email|wechat|openid|ip|address|place|sent_to|introducer|"
    r"display_name|username|password|reason|opinion|note|comment|content|efforts|issuer)($|_|\d)"
)
PERSON_MODELS = {
    "members.Member",
    "accounts.User",
    "recruitment.Candidate",
    "transfers.MobileMember",
}
# free-text fields of organizational records that are not about a person
ORG_TEXT = {
    "orgs.Term.note",
    "orgs.Term.extension_reason",
    "orgs.Unit.note",
    "orgs.Election.note",
    "fees.Publication.note",
    "compliance.RuleSetting.reason",
    "meetings.Meeting.void_reason",
    "supervision.Assignment.decision_reason",
}


def _project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("dangjian.")]


def _listed() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entry in privacy.INVENTORY:
        out.setdefault(entry.model, set()).update(entry.fields)
    return out


def test_every_listed_field_exists():
    for entry in privacy.INVENTORY:
        model = apps.get_model(entry.model)
        names = {f.name for f in model._meta.concrete_fields}
        missing = set(entry.fields) - names
        assert not missing, f"{entry.model}: {missing} listed but not a field"
        assert set(entry.encrypted) <= set(entry.fields), entry.model
        for index, source in entry.indexes:
            assert {index, source} <= set(entry.fields), entry.model
        assert all((entry.what, entry.purpose, entry.basis, entry.retention)), entry.model
    for label in privacy.NOT_PERSONAL:
        app_model, _, name = label.rpartition(".")
        assert name in {f.name for f in apps.get_model(app_model)._meta.concrete_fields}, label
        assert privacy.NOT_PERSONAL[label], label


def test_every_personal_looking_field_is_listed_or_explained():
    listed = _listed()
    unlisted = []
    for model in _project_models():
        label = model._meta.label
        for f in model._meta.concrete_fields:
            key = f"{label}.{f.name}"
            person_link = (
                f.is_relation
                and f.related_model is not None
                and (f.related_model._meta.label in PERSON_MODELS)
            )
            looks = bool(PERSONAL_NAME.search(f.name)) or f.name.endswith("_encrypted")
            if label in PERSON_MODELS and f.name not in {"id", "created_at", "updated_at"}:
                looks = looks or not f.is_relation
            if not (looks or person_link):
                continue
            if f.name in listed.get(label, set()) or key in privacy.NOT_PERSONAL:
                continue
            if key in ORG_TEXT:
                continue
            unlisted.append(key)
    assert unlisted == [], "personal fields missing from core/privacy.py: " + ", ".join(unlisted)


def test_every_encrypted_column_is_walked_by_reencrypt():
    walked = {(m, f) for m, f, _ in privacy.encrypted_fields()}
    for model in _project_models():
        for f in model._meta.concrete_fields:
            if f.name.endswith("_encrypted"):
                assert (model._meta.label, f.name) in walked, f"{model._meta.label}.{f.name}"


def test_the_document_is_the_inventory():
    doc = Path(__file__).resolve().parents[2] / "docs" / "privacy-inventory.md"
    assert doc.read_text(encoding="utf-8") == privacy.as_markdown(), (
        "docs/privacy-inventory.md is stale: run `dangjian privacy_inventory > "
        "docs/privacy-inventory.md`"
    )
