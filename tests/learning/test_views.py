"""The staff pages of learning: forms answer in Chinese on the field at fault and write nothing; a
committee names members by number; the library search uses the segmented text."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.learning import services
from dangjian.learning.models import OfflineAttendance, Question, Resource
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_committee_records_a_training_by_member_numbers(client, tree, users):
    login(client, users["committee_staff"])
    url = reverse("learning:hours", args=[tree.district_a.pk])
    data = {
        "kind": "training",
        "title": "书记培训班",
        "held_on": timezone.localdate().isoformat(),
        "length": "full_day",
    }
    resp = client.post(
        url,
        {
            **data,
            "member_nos": f"{tree.members['A1-1'].member_no} {tree.members['B1-8'].member_no}",
        },
    )
    assert resp.status_code == 400
    assert "不是本组织在册党员" in resp.content.decode()
    assert not OfflineAttendance.objects.exists()
    resp = client.post(
        url,
        {
            **data,
            "member_nos": f"{tree.members['A1-1'].member_no},{tree.members['A2-5'].member_no}",
        },
    )
    assert resp.status_code == 302
    assert OfflineAttendance.objects.count() == 2


def test_course_forms_name_the_field(client, tree, users):
    c = services.course_create(
        actor=users["committee_staff"], publisher=tree.district_a, title="党史"
    )
    login(client, users["committee_staff"])
    url = reverse("learning:course", args=[c.pk])
    resp = client.post(
        url,
        {
            "form": "resource",
            "unit": c.units.get().pk,
            "kind": "video",
            "title": "影片",
            "minutes": "30",
            "file": SimpleUploadedFile("a.mp4", b"not a video at all"),
        },
    )
    assert resp.status_code == 400
    assert "不是支持的音视频格式" in resp.content.decode()
    assert not Resource.objects.exists()
    resp = client.post(
        url,
        {
            "form": "resource",
            "unit": c.units.get().pk,
            "kind": "article",
            "title": "遵义会议",
            "body": "<p>遵义会议是党的历史上一个生死攸关的转折点</p>",
            "minutes": "20",
        },
    )
    assert resp.status_code == 302
    client.post(url, {"form": "publish"})
    lib = client.get(
        reverse("learning:library", args=[tree.district_a.pk]), {"q": "转折点"}
    ).content.decode()
    assert "遵义会议" in lib
    lib = client.get(
        reverse("learning:library", args=[tree.district_a.pk]), {"q": "长征"}
    ).content.decode()
    assert "没有找到" in lib


def test_question_form_checks_the_answer(client, tree, users):
    login(client, users["committee_staff"])
    url = reverse("learning:quiz", args=[tree.district_a.pk])
    resp = client.post(
        url,
        {
            "form": "question",
            "topic": "党章",
            "kind": "single",
            "text": "题目",
            "choices": "甲\n乙",
            "answer": "3",
        },
    )
    assert resp.status_code == 400
    assert "请选择正确答案" in resp.content.decode()
    assert not Question.objects.exists()
    client.post(
        url,
        {
            "form": "question",
            "topic": "党章",
            "kind": "multi",
            "text": "题目",
            "choices": "甲\n乙\n丙",
            "answer": "1,3",
        },
    )
    assert Question.objects.get().answer == [0, 2]


def test_a_superior_s_draft_stays_with_its_authors(client, tree, users):
    c = services.course_create(
        actor=users["committee_staff"], publisher=tree.district_a, title="草稿课程"
    )
    services.resource_add(
        actor=users["committee_staff"],
        unit=c.units.get(),
        kind="article",
        title="t",
        body="<p>正文</p>",
    )
    login(client, users["branch_worker"])
    assert client.get(reverse("learning:course", args=[c.pk])).status_code == 404
    assert (
        "草稿课程"
        not in client.get(reverse("learning:library", args=[tree.branch_a1.pk])).content.decode()
    )
    services.course_publish(actor=users["committee_staff"], course=c)
    assert client.get(reverse("learning:course", args=[c.pk])).status_code == 200
    assert (
        "草稿课程"
        in client.get(reverse("learning:library", args=[tree.branch_a1.pk])).content.decode()
    )


def test_the_quiz_keeps_the_answers_given_when_one_is_missing(client, tree, users):
    staff, org = users["committee_staff"], tree.district_a
    qs = [
        services.question_add(
            actor=staff,
            publisher=org,
            topic="党章",
            kind="single",
            text=f"第{i}题",
            choices=["甲", "乙", "丙"],
            answer=[0],
        )
        for i in range(3)
    ]
    paper = services.paper_assemble(
        actor=staff, publisher=org, title="党章测试", topic="党章", count=3, pass_score=60
    )
    login(client, users["member"], verify=False)
    url = reverse("learning:paper", args=[paper.pk])
    resp = client.post(url, {f"q{qs[0].pk}": "1", f"q{qs[2].pk}": "2"})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "还有1道题未作答" in body
    # the two answers given are still checked; the missing question is marked
    assert f'id="q{qs[0].pk}_1" value="1" checked' in body
    assert f'id="q{qs[2].pk}_2" value="2" checked' in body
    assert body.count(" checked") == 2
    assert body.count("未作答</span>") == 1
    resp = client.post(url, {f"q{qs[0].pk}": "1", f"q{qs[1].pk}": "0", f"q{qs[2].pk}": "2"})
    assert resp.status_code == 302
