"""The assistant's knowledge base: documents (regulations, explanations, the FAQ, the rule pack's
rules, 讲解 media), each split into pieces (an article of a regulation, a section of another
document) that retrieval ranks and answers cite."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DocKind(models.TextChoices):
    REGULATION = "regulation", "党内法规/规范性文件"
    EXPLANATION = "explanation", "解读/说明"
    FAQ = "faq", "常见问题"
    RULE = "rule", "监测规则"
    MEDIA = "media", "讲解（音视频）"


class Document(models.Model):
    """One version of a document. A new version of the same document (same `key`) supersedes the
    one in force: both are kept, answers cite the one in force."""

    key = models.CharField("文档标识", max_length=200, db_index=True)  # the versions' shared key
    title = models.CharField("标题", max_length=200)
    issuer = models.CharField("发文机关", max_length=100, blank=True)
    issued_on = models.DateField("发布日期", null=True, blank=True)
    version = models.CharField("版本", max_length=40, blank=True)
    kind = models.CharField("类别", max_length=12, choices=DocKind.choices)
    # None: for everyone on the platform; else for that organization's subtree
    organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kb_documents",
        verbose_name="适用范围",
    )
    in_force = models.BooleanField("现行有效", default=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="older"
    )
    source_name = models.CharField("来源文件", max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    text = models.TextField("全文", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)  # a 讲解's page, a rule's page
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "知识库文档"
        verbose_name_plural = "知识库文档"
        ordering = ["title", "-issued_on", "-id"]
        indexes = [models.Index(fields=["in_force", "kind"], name="assistant_doc_force")]

    def __str__(self) -> str:
        return f"{self.title}（{self.version}）" if self.version else self.title


class Piece(models.Model):
    """A retrievable piece: a regulation's article (第X条 with its paragraphs) or a section of
    another document, with the headings above it. `tokens` is its segmented text (jieba, space
    separated), stored so the index is rebuilt without segmenting again."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pieces")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField("所在章节", max_length=200, blank=True)
    article = models.CharField("条目", max_length=40, blank=True)
    text = models.TextField("内容")
    tokens = models.TextField(blank=True)
    # its embedding (float32), when the deployment has an embeddings server (hybrid ranking)
    vector = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = "知识片段"
        verbose_name_plural = "知识片段"
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="assistant_piece_order")
        ]

    def __str__(self) -> str:
        return f"{self.document.title} {self.article or self.heading}".strip()


class IndexState(models.Model):
    """One row: a token that changes with every change of the knowledge base, so every process
    knows whether its index (in memory, and the copy on disk) is current."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token
