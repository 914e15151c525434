"""Every generated document carries its watermark — who exported it and when — in its footer
(PDF, Word), and its download is logged with the file's digest (issue 16, F3). The list exports'
page header is checked for every export in tests/web/test_exports.py."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from tests.conftest import login
from tests.web.test_access_matrix import MATRIX, POST_MATRIX
from tests.web.test_no_leaks import _text

pytestmark = pytest.mark.django_db
DOCUMENTS = {
    "fees:receipt",
    "meetings:export",  # the minutes in Word; the PDF is fetched beside it
    "meetings:export:pdf",
    "recruitment:pdf",
    "transfers:pdf",
    "portal:member_slips",
    "community:cards",
}
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


def test_every_document_carries_who_and_when_and_is_logged(client, tree, users):
    user = users["committee_staff"]
    login(client, user)
    found = {}
    routes = [(n, MATRIX[n][0], MATRIX[n][1], "get") for n in sorted(DOCUMENTS) if n in MATRIX]
    routes.append(("portal:member_slips", POST_MATRIX["portal:member_slips"][0], "", "post"))
    for name, args_fn, query, method in routes:
        args = args_fn(tree)
        urls = [(name, reverse(name, args=args) + query.format(a1=tree.branch_a1.pk))]
        if name == "meetings:export":
            urls.append((f"{name}:pdf", reverse(name, args=[*args[:-1], "pdf"])))
        for label, url in urls:
            before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            resp = getattr(client, method)(url)
            assert resp.status_code == 200, label
            body = _body(resp)
            assert body.startswith(b"%PDF") or resp.get("Content-Type") == WORD, label
            resp.streaming = False
            resp.content = body
            text = _text(resp)
            found[label] = text
            assert f"{user} 于 " in text, label
            assert "导出" in text, label
            digests = [
                e.data.get("sha256") for e in AuditEvent.objects.filter(id__gt=before, actor=user)
            ]
            if label != "portal:member_slips":  # the slips' issue is audited per account
                assert hashlib.sha256(body).hexdigest() in digests, label
    assert DOCUMENTS <= set(found), sorted(DOCUMENTS - set(found))
