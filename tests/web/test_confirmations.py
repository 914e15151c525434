"""Every destructive or irreversible action asks first and says what will happen (issue 15, item
9): a form whose button withdraws, sends back, publishes, voids, ends or dissolves carries a
confirmation; sending back needs a reason. Read from the templates, so a new button cannot slip
through."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"
IRREVERSIBLE = (
    "撤销",
    "退回",
    "发布",
    "作废",
    "终止",
    "取消资格",
    "取消会议",
    "免职",
    "过期",
    "办结",
)
FORM = re.compile(r"<form\b(?P<tag>[^>]*)>(?P<body>.*?)</form>", re.S)
BUTTON = re.compile(r"<button\b[^>]*>(?P<text>.*?)</button>", re.S)


def _forms():
    for path in SRC.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for m in FORM.finditer(text):
            buttons = [re.sub(r"<[^>]+>", "", b.group("text")) for b in BUTTON.finditer(m["body"])]
            yield path.relative_to(SRC), m["tag"], m["body"], " ".join(buttons)


def test_irreversible_buttons_ask_first():
    missing = [
        f"{path}: {buttons.strip()[:30]}"
        for path, tag, _body, buttons in _forms()
        if any(word in buttons for word in IRREVERSIBLE) and "data-confirm" not in tag
    ]
    assert missing == []


def test_the_confirmations_say_what_will_happen():
    short = [
        f"{path}: {m}"
        for path, tag, _body, buttons in _forms()
        for m in re.findall(r'data-confirm="([^"]*)"', tag)
        if any(word in buttons for word in IRREVERSIBLE) and len(m) < 12
    ]
    assert short == []


def test_sending_back_needs_a_reason():
    missing = [
        str(path)
        for path, _tag, body, buttons in _forms()
        if "退回" in buttons
        and not re.search(r'<(input|textarea)\b[^>]*name="reason"[^>]*\brequired\b', body)
    ]
    assert missing == []
    found = [p for p, _t, _b, buttons in _forms() if "退回" in buttons]
    assert len(found) >= 3  # 督办, 转接, 外来介绍信
