"""组织生活 pages: calendars with a fixed number of queries whatever the size, the record form's
inline errors, the member's sign-in page, the Word and PDF minutes."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.meetings import services
from dangjian.meetings.models import Meeting
from dangjian.orgs.services import org_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _meetings(tree, n_branches: int) -> None:
    today = timezone.localdate()
    rows = []
    for i in range(n_branches):
        b = org_create(
            actor=None,
            parent=tree.district_a,
            code=f"X{i}",
            name=f"测试{i}支部",
            kind="branch",
            category="organ",
            established_on=today.replace(year=2000),
        )
        for mo in range(1, 13):
            rows.append(
                Meeting(
                    organization=b,
                    kind="theme_day",
                    status="held",
                    held_on=today.replace(month=mo, day=1),
                    topic="t",
                )
            )
            rows.append(
                Meeting(
                    organization=b,
                    kind="general_meeting",
                    planned_on=today.replace(month=mo, day=2),
                    topic="p",
                )
            )
    Meeting.objects.bulk_create(rows)


@pytest.mark.parametrize("n", [2, 12])
def test_committee_calendar_queries_do_not_grow_with_branches(
    client, tree, users, django_assert_num_queries, n
):
    _meetings(tree, n)
    login(client, users["committee_staff"])
    url = reverse("meetings:calendar", args=[tree.district_a.pk])
    client.get(url)
    # the session with its user, grants and bell is one statement; a page view writes no session
    with django_assert_num_queries(8):
        page = client.get(url).content.decode()
    assert "测试1支部" in page
    assert "全年已开" in page


def test_branch_calendar_shows_each_meeting_and_its_queries_are_fixed(
    client, tree, users, django_assert_num_queries
):
    services.plan_generate(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        year=timezone.localdate().year + 1,
    )
    login(client, users["branch_worker"])
    url = (
        reverse("meetings:calendar", args=[tree.branch_a1.pk])
        + f"?year={timezone.localdate().year + 1}"
    )
    client.get(url)
    # the session with its user, grants and bell is one statement; a page view writes no session
    with django_assert_num_queries(7):
        page = client.get(url).content.decode()
    assert page.count('class="life-dot planned" title=') == 34
    assert "按规定频次生成年度计划" in page


def test_record_form_shows_the_quorum_error_inline_and_saves_nothing(client, tree, users):
    login(client, users["branch_worker"])
    url = reverse("meetings:record_new", args=[tree.branch_a1.pk])
    ms = [tree.members[f"A1-{i}"] for i in range(1, 5)]
    data = {
        "kind": "general_meeting",
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "topic": "党员大会",
        "motion": "表决",
        "votes_for": "1",
        "votes_against": "0",
        "votes_abstain": "0",
        **{f"att_{m.pk}": "absent" for m in ms},
        f"att_{ms[0].pk}": "present",
    }
    page = client.post(url, data).content.decode()
    assert "未超过半数" in page
    assert Meeting.objects.count() == 0
    data["held_on"] = (timezone.localdate() + timedelta(days=3)).isoformat()
    page = client.post(url, data).content.decode()
    assert "召开日期不能晚于今天" in page
    assert "is-invalid" in page
    data.update(
        {
            "held_on": timezone.localdate().isoformat(),
            "votes_for": "4",
            **{f"att_{m.pk}": "present" for m in ms},
            "minutes": '<p>讨论<script>alert(1)</script><b onclick="x()">要点</b></p>',
        }
    )
    resp = client.post(url, data)
    assert resp.status_code == 302
    m = Meeting.objects.get()
    assert m.minutes == "<p>讨论<b>要点</b></p>"
    assert (m.expected, m.attended, m.votes_for) == (4, 4, 4)


def test_member_signs_in_from_the_meeting_page(client, tree, users):
    m = services.meeting_plan(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="theme_day",
        planned_on=timezone.localdate(),
        topic="主题党日",
    )
    services.meeting_publish(actor=users["branch_worker"], meeting=m)
    m.refresh_from_db()
    login(client, users["member"], verify=False)
    page = client.get(
        reverse("meetings:member_meeting", args=[m.pk]) + f"?t={m.sign_in_token}"
    ).content.decode()
    assert "签到" in page
    resp = client.post(
        reverse("meetings:sign_in", args=[m.pk]), {"t": m.sign_in_token}, follow=True
    )
    assert "签到成功" in resp.content.decode()
    assert "您已于" in resp.content.decode()
    resp = client.post(
        reverse("meetings:sign_in", args=[m.pk]), {"t": m.sign_in_token}, follow=True
    )
    assert "无需重复签到" in resp.content.decode()
    assert "会议通知" in client.get(reverse("notify:inbox")).content.decode()


def test_minutes_as_word_and_pdf(client, tree, users):
    ms = [tree.members[f"A1-{i}"] for i in range(1, 5)]
    m = services.meeting_record(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="general_meeting",
        held_on=timezone.localdate(),
        topic="接收预备党员",
        chair="王书记",
        recorder="李委员",
        place="活动室",
        agenda="审议入党申请\n表决",
        minutes="<p>介绍人介绍情况</p><ul><li>发言一</li></ul>",
        decisions="同意接收",
        motion="接收张三为预备党员",
        votes_for=3,
        votes_against=0,
        votes_abstain=0,
        marks={
            ms[0].pk: services.Mark("present"),
            ms[1].pk: services.Mark("present"),
            ms[2].pk: services.Mark("present"),
            ms[3].pk: services.Mark("leave", "出差"),
        },
    )
    login(client, users["committee_staff"])
    resp = client.get(reverse("meetings:export", args=[m.pk, "docx"]))
    assert resp.status_code == 200
    assert "attachment" in resp["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.content)) as z:
        xml = z.read("word/document.xml").decode()
    for text in (
        "支部党员大会会议记录",
        "接收预备党员",
        "王书记",
        "出差",
        "介绍人介绍情况",
        "发言一",
        "同意接收",
        "赞成3票",
        "结果：通过",
        "记录人（签字）",
    ):
        assert text in xml, text
    resp = client.get(reverse("meetings:export", args=[m.pk, "pdf"]))
    assert resp.content.startswith(b"%PDF")
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=resp.content, capture_output=True, check=True
        ).stdout.decode()
        assert "会议记录" in text
        assert "出差" in text
