"""Chinese text for retrieval: jieba segmentation with the party-term dictionary
(data/userdict.txt), the synonym table (data/synonyms.txt: every way of writing a term becomes its
canonical one, in documents and in questions alike) and a stop-word list."""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path

import jieba
from django.conf import settings

DATA = Path(__file__).parent / "data"
_LOCK = threading.Lock()
_READY = False
STOP = set(
    "的 了 吗 呢 吧 啊 呀 是 我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 这些 那些 什么 怎么 "
    "怎样 如何 哪 哪些 哪里 几 请问 一下 可以 能 能否 要 需要 会 和 与 及 以及 或 或者 在 有 没有 "
    "不 都 也 就 还 对 把 被 给 让 吗 么 着 过 个 之 其 为 以 从 到 由 并 等 应 应当 应该 该 如果 "
    "时 后 前 中 上 下 里 就是 问 想 知道 告诉 一个 自己 本人 多少 多久 多长 多大 怎么办 怎么样 "
    "什么样 何时 为什么 是否 有没有 几个 几次 几年 几天 哪天 哪一步 啥 咋 咋办 呗 嘛 哦 "
    "时候 什么时候 哪个 哪里 哪儿 谁 要不要 不要 能不能 可不可以 到底 得 呢 还是 一下子 "
    "请 帮 帮忙 我们 咱们".split()
)
_PUNCT = re.compile(r"^[\W_]+$")


def _init() -> None:
    global _READY
    if _READY:
        return
    with _LOCK:
        if _READY:
            return
        jieba.setLogLevel(logging.WARNING)
        cache = Path(settings.VAR_DIR) / "jieba.cache"
        jieba.dt.cache_file = str(cache)
        jieba.load_userdict(str(DATA / "userdict.txt"))
        for canonical in synonyms().values():
            jieba.add_word(canonical, freq=5000)
        _READY = True


@functools.cache
def synonyms() -> dict[str, str]:
    """Every variant → its canonical term (longest variants are replaced first)."""
    out: dict[str, str] = {}
    for raw in (DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        terms = [t.strip() for t in line.split(",") if t.strip()]
        for t in terms[1:]:
            out[t] = terms[0]
    return out


@functools.cache
def _synonym_pattern() -> re.Pattern[str]:
    # canonical terms too, so that one containing a variant (组织关系介绍信 ⊃ 介绍信) stays whole
    terms = set(synonyms()) | set(synonyms().values())
    return re.compile("|".join(re.escape(v) for v in sorted(terms, key=len, reverse=True)))


def normalize(text: str) -> str:
    """Full-width letters and digits to half-width, lower case, synonyms to their canonical."""
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}).lower()
    table = synonyms()
    return _synonym_pattern().sub(lambda m: table.get(m.group(0), m.group(0)), text)


def tokens(text: str) -> list[str]:
    """The text's terms for the index: normalized, segmented for search (long words and their
    parts), without stop words and punctuation."""
    _init()
    return [
        t
        for raw in jieba.cut_for_search(normalize(text))
        if (t := raw.strip()) and t not in STOP and not _PUNCT.match(t)
    ]


@functools.cache
def offtopic_words() -> tuple[str, ...]:
    lines = (DATA / "offtopic.txt").read_text(encoding="utf-8").splitlines()
    return tuple(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def sentences(text: str) -> list[str]:
    """Split into sentences at Chinese closing punctuation and line breaks."""
    parts = re.split(r"(?<=[。！？；])|\n", text)
    return [p.strip() for p in parts if p.strip()]
