"""Retrieval quality on the project's own question set (issue 17): the accepted source in the top
3 for at least 90 % of the questions, first for at least 75 %, off-topic declined for at least
95 %."""

from __future__ import annotations

from pathlib import Path

import pytest

from dangjian.assistant.evaluate import evaluate

pytestmark = pytest.mark.django_db
QUESTIONS = Path(__file__).with_name("questions.yaml")


def test_the_question_set(kb):
    scores = evaluate(QUESTIONS)
    on_topic = [s for c, s in scores.items() if c != "offtopic"]
    n = sum(s.n for s in on_topic)
    top1 = sum(s.top1 for s in on_topic) / n
    top3 = sum(s.top3 for s in on_topic) / n
    misses = {c: s.misses for c, s in scores.items() if s.misses}
    assert top3 >= 0.9, misses
    assert top1 >= 0.75, misses
    assert scores["offtopic"].rate(1) >= 0.95, misses
