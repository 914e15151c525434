"""意见建议 (issue 17, item 5): a member's opinion goes to the branch (or above, about the branch),
is answered, forwarded or closed, rated; anonymous towards the receivers, never towards the audit;
OPN-01 on the scan when it waits too long; 待办 on both sides; the assistant hands it over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.assistant import services
from dangjian.assistant.answer import ask
from dangjian.assistant.models import Opinion, OpinionStatus
from dangjian.audit.models import AuditEvent
from dangjian.compliance.models import Finding
from dangjian.compliance.services import scan_run
from dangjian.core.errors import DomainError, NotVisible
from dangjian.web import todo
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _submit(users, **kw):
    return services.opinion_submit(
        actor=users["member"], topic=kw.pop("topic", "life"), text_="建议把主题党日放在周末。", **kw
    )


def test_the_life_of_an_opinion(client, tree, users):
    op = _submit(users)
    assert op.organization == tree.branch_a1
    worker = users["branch_worker"]
    items = todo.staff_todos(worker, timezone.localdate()).of_kind("opinion")
    assert [t.url for t in items] == [reverse("assistant:opinion", args=[op.pk])]
    services.opinion_reply(actor=worker, opinion=op, text_="已采纳，下月起安排在周六。")
    op.refresh_from_db()
    assert op.status == OpinionStatus.REPLIED
    assert not todo.staff_todos(worker, timezone.localdate()).of_kind("opinion")
    member_items = todo.member_todos(users["member"], op.member, timezone.localdate())
    assert any("请评价" in t.title for t in member_items.of_kind("opinion"))
    services.opinion_rate(actor=users["member"], opinion=op, rating=5, comment="很快")
    with pytest.raises(DomainError, match="已评价"):
        services.opinion_rate(actor=users["member"], opinion=op, rating=4)
    login(client, users["member"])
    page = client.get(reverse("assistant:my_opinion", args=[op.pk])).content.decode()
    assert "已采纳，下月起安排在周六" in page
    assert "5星" in page


def test_anonymous_to_the_branch_not_to_the_audit(client, tree, users):
    op = _submit(users, anonymous=True)
    login(client, users["branch_worker"])
    name = op.member.name
    for url in (reverse("assistant:opinions"), reverse("assistant:opinion", args=[op.pk])):
        html = client.get(url).content.decode()
        assert "匿名党员" in html
        assert name not in html
    export = client.get(reverse("interchange:export", args=["opinions"]))
    assert name.encode() not in export.content
    event = AuditEvent.objects.get(action="assistant.opinion_submit")
    assert event.actor == users["member"]  # the audit knows who


def test_about_the_branch_goes_above_and_forwarding_moves_it(tree, users):
    op = _submit(users, about_branch=True)
    assert op.organization == tree.district_a
    with pytest.raises(NotVisible):  # the branch cannot handle what concerns itself
        services.opinion_reply(actor=users["branch_worker"], opinion=op, text_="答复")
    other = _submit(users)
    services.opinion_forward(actor=users["branch_worker"], opinion=other, note="涉及经费")
    other.refresh_from_db()
    assert other.organization == tree.district_a
    assert other.steps.filter(kind="forwarded").exists()
    services.opinion_reply(
        actor=users["committee_staff"], opinion=other, text_="区委统一安排。", close=True
    )
    other.refresh_from_db()
    assert other.status == OpinionStatus.CLOSED
    with pytest.raises(NotVisible):
        services.opinion_reply(actor=users["sibling_staff"], opinion=op, text_="答复")


def test_opn01_finds_an_opinion_waiting_too_long(tree, users):
    op = _submit(users)
    Opinion.objects.filter(pk=op.pk).update(since=timezone.now() - timedelta(days=20))
    scan_run(as_of=timezone.localdate())
    f = Finding.objects.get(rule_id="OPN-01", closed_on=None)
    assert f.organization == tree.branch_a1
    assert "未答复" in f.message
    services.opinion_reply(actor=users["branch_worker"], opinion=op, text_="已答复")
    scan_run(as_of=timezone.localdate())
    assert not Finding.objects.filter(rule_id="OPN-01", closed_on=None).exists()


def test_bad_input_and_the_assistant_hands_over(tree, users):
    with pytest.raises(DomainError, match="至少5个字"):
        services.opinion_submit(actor=users["member"], topic="life", text_="好")
    with pytest.raises(DomainError, match="只有党员账号"):
        services.opinion_submit(actor=users["branch_worker"], topic="life", text_="建议多开会。")
    a = ask(users["member"], "我想提个建议：支部活动能不能放在晚上")
    assert a.kind == "opinion"
    assert a.link.startswith(reverse("assistant:opinion_new") + "?text=")


def _jpeg_with_exif() -> bytes:
    import io

    from PIL import Image

    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "Zhang San iPhone"  # Artist
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_photos_lose_their_metadata_and_names_and_only_photos_pass(tree, users, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    raw = _jpeg_with_exif()
    assert b"Zhang San" in raw
    op = services.opinion_submit(
        actor=users["member"],
        topic="life",
        text_="活动室的灯坏了，建议维修。",
        anonymous=True,
        photos=[SimpleUploadedFile("IMG_张三_0001.jpg", raw, "image/jpeg")],
    )
    [photo] = op.photos.all()
    assert photo.name == "照片1.jpg"
    stored = (tmp_path / photo.path).read_bytes()
    assert b"Zhang San" not in stored
    assert b"Exif" not in stored
    doc = SimpleUploadedFile("说明.txt", "活动室照片见附件".encode(), "text/plain")
    with pytest.raises(DomainError, match="只能附照片"):
        services.opinion_submit(
            actor=users["member"], topic="life", text_="活动室的灯坏了。", photos=[doc]
        )


def test_a_forwarded_opinion_gets_its_own_reply_time(tree, users):
    op = _submit(users)
    Opinion.objects.filter(pk=op.pk).update(since=timezone.now() - timedelta(days=14))
    services.opinion_forward(actor=users["branch_worker"], opinion=op)
    scan_run(as_of=timezone.localdate() + timedelta(days=2))
    assert not Finding.objects.filter(rule_id="OPN-01", closed_on=None).exists()
