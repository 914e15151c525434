"""After the city is imported: a small library for the demo — one course published by the city
committee to everyone, with articles, a question bank and a paper, assigned to the whole city."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from dangjian.core.richtext import clean
from dangjian.learning.models import Assignment, Course, Paper, Question, Resource, Unit
from dangjian.learning.search import index_text
from dangjian.orgs.models import Organization

ARTICLES = [
    (
        "总纲",
        "党的性质和宗旨",
        "<p>中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。</p>"
        "<p>党除了工人阶级和最广大人民群众的利益，没有自己特殊的利益。<b>全心全意为人民服务</b>是党的根本宗旨。</p>",
    ),
    (
        "第一章 党员",
        "党员的义务",
        "<p>党员必须认真学习党的理论，贯彻执行党的基本路线和各项方针、政策，"
        "自觉遵守党的纪律，切实开展批评和自我批评。</p><ul><li>按照规定交纳党费</li><li>参加党的组织生活</li>"
        "<li>密切联系群众</li></ul>",
    ),
    (
        "第一章 党员",
        "预备期与转正",
        "<p>预备党员的预备期为一年。预备期满，党的支部应当及时讨论能否转为正式党员。"
        "党员的党龄从预备期满转为正式党员之日算起。</p>",
    ),
]
QUESTIONS = [
    ("single", "中国共产党的根本宗旨是什么？", ["全心全意为人民服务", "发展经济", "维护稳定"], [0]),
    ("tf", "预备党员的预备期为一年。", ["正确", "错误"], [0]),
    ("tf", "党员的党龄从递交入党申请书之日算起。", ["正确", "错误"], [1]),
    (
        "multi",
        "下列哪些是党员的义务？",
        ["按照规定交纳党费", "参加党的组织生活", "只对上级负责"],
        [0, 1],
    ),
    (
        "single",
        "党员无正当理由，连续多长时间不参加党的组织生活，被认为是自行脱党？",
        ["三个月", "六个月", "一年"],
        [1],
    ),
]


@transaction.atomic
def plant_learning(*, today: date) -> dict[str, int]:
    root = Organization.objects.filter(depth=1).order_by("path").first()
    if root is None:
        return {}
    c = Course.objects.create(
        publisher=root,
        title="学习新党章",
        topic="党章",
        summary="逐章学习党章，理解党员的权利和义务。",
        published_on=date(today.year, 1, 5) if today.month > 1 else today,
    )
    units = {
        name: Unit.objects.create(course=c, title=name, order=i)
        for i, name in enumerate(dict.fromkeys(a[0] for a in ARTICLES), 1)
    }
    Resource.objects.bulk_create(
        [
            Resource(
                unit=units[u],
                kind="article",
                title=t,
                body=clean(b),
                minutes=20,
                search_text=index_text(f"{t} {c.title} {b}"),
            )
            for u, t, b in ARTICLES
        ]
    )
    qs = Question.objects.bulk_create(
        [
            Question(publisher=root, topic="党章", kind=k, text=t, choices=ch, answer=a)
            for k, t, ch, a in QUESTIONS
        ]
    )
    p = Paper.objects.create(
        publisher=root, title="党章知识小测", topic="党章", course=c, pass_score=60
    )
    p.questions.set(qs)
    Assignment.objects.create(course=c, organization=root, due_on=date(today.year, 12, 31))
    return {"courses": 1, "resources": len(ARTICLES), "questions": len(qs)}
