"""The assistant's knowledge base at size (issue 17) for one database (DATABASE_URL, migrated here):

- loads the demo explanations and the rule pack, then DOCS synthetic regulations of ARTICLES
  articles each (party terms and filler in regulation form; 2,000 × 50 = 100,000 pieces);
- times the index build (bm25s over the stored tokens), `ask` without a model (p50/p95 over the
  question set, repeated), and one document changed (load + the next question, which rebuilds);
- prints the retrieval quality on tests/assistant/questions.yaml per category, with the noise of
  the synthetic documents in the index.

Prints one JSON object and a readable table; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DANGJIAN_VAR_DIR", tempfile.mkdtemp(prefix="bench-kb-"))
sys.path.insert(0, str(Path(__file__).parent))
from scan import setup_django  # noqa: E402

TERMS = (
    "党支部 党小组 党员大会 支部委员会 组织生活会 民主评议 主题党日 三会一课 党费 学习教育 "
    "志愿服务 联系群众 基层治理 换届选举 纪律检查 廉洁自律 谈心谈话 批评与自我批评 党务公开 "
    "发展党员 入党积极分子 预备党员 组织关系 流动党员 党建工作 责任清单 考核评价 示范创建 "
    "社区 村 企业 学校 机关 医院 网格 楼栋 邻里 服务中心 阵地 品牌 队伍 制度 台账 报告"
).split()
VERBS = "应当 可以 负责 组织 开展 落实 建立 健全 加强 推进 完善 规范 督促 指导 保障".split()
NUMS = "一 二 三 四 五 六 七 八 九 十".split()


def cn(n: int) -> str:
    if n <= 10:
        return NUMS[n - 1]
    if n < 20:
        return "十" + (NUMS[n - 11] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return NUMS[tens - 1] + "十" + (NUMS[ones - 1] if ones else "")


def regulation(rng: random.Random, i: int, articles: int) -> str:
    lines = [f"示范规定第{i}号", "第一章 总则"]
    for a in range(1, articles + 1):
        if a % 10 == 1 and a > 1:
            lines.append(f"第{cn(a // 10 + 1)}章 第{a // 10 + 1}部分")
        words = [rng.choice(TERMS) for _ in range(rng.randint(6, 12))]
        body = "".join(
            f"{w}{rng.choice(VERBS)}{rng.choice(TERMS)}，" if k % 3 else w
            for k, w in enumerate(words)
        )
        lines.append(f"第{cn(a)}条 {body}每年不少于{rng.randint(1, 12)}次。")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dangjian.assistant import index, services
    from dangjian.assistant.answer import ask
    from dangjian.assistant.evaluate import evaluate
    from dangjian.assistant.models import Piece
    from dangjian.demo.services import load_knowledge_base

    load_knowledge_base()
    rng = random.Random(1)
    t = time.perf_counter()
    for i in range(args.docs):
        body = regulation(rng, i, args.articles)
        services.document_load(actor=None, name=f"reg{i}.txt", data=body.encode())
    load_s = time.perf_counter() - t
    pieces = Piece.objects.filter(document__in_force=True).count()

    index._current = None
    t = time.perf_counter()
    index.rebuild()
    build_s = time.perf_counter() - t

    questions = [
        item["q"]
        for items in __import__("yaml")
        .safe_load((ROOT / "tests" / "assistant" / "questions.yaml").read_text(encoding="utf-8"))
        .values()
        for item in items
    ]
    ask(None, questions[0])  # warm (jieba's dictionary, the index in memory)
    times = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            ask(None, q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()

    t = time.perf_counter()
    services.document_load(
        actor=None, name="reg0.txt", data=regulation(rng, 0, args.articles).encode()
    )
    ask(None, questions[0])
    update_s = time.perf_counter() - t

    t = time.perf_counter()
    scores = evaluate(ROOT / "tests" / "assistant" / "questions.yaml")
    quality = {
        c: {"n": s.n, "top1": round(s.rate(1), 3), "top3": round(s.rate(3), 3)}
        for c, s in scores.items()
    }
    on = [s for c, s in scores.items() if c != "offtopic"]
    n = sum(s.n for s in on)
    figures = {
        "database": os.environ.get("DATABASE_URL", "sqlite").split(":")[0],
        "documents": args.docs + 5,
        "pieces": pieces,
        "load_s": round(load_s, 1),
        "index_build_s": round(build_s, 2),
        "ask_p50_ms": round(statistics.median(times), 1),
        "ask_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "update_one_doc_s": round(update_s, 2),
        "top1": round(sum(s.top1 for s in on) / n, 3),
        "top3": round(sum(s.top3 for s in on) / n, 3),
        "offtopic_declined": round(scores["offtopic"].rate(1), 3),
        "quality": quality,
    }
    print(f"pieces {pieces}, load {figures['load_s']} s, index build {figures['index_build_s']} s")
    print(f"ask p50 {figures['ask_p50_ms']} ms, p95 {figures['ask_p95_ms']} ms")
    print(f"one document changed → answered from the new index in {figures['update_one_doc_s']} s")
    for c, qv in quality.items():
        print(f"  {c:12s} n={qv['n']:3d} top1={qv['top1']:.2f} top3={qv['top3']:.2f}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
