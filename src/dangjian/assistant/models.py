"""The assistant's knowledge base: documents (regulations, explanations, the FAQ, the rule pack's
rules, 讲解 media), each split into pieces (an article of a regulation, a section of another
document) that retrieval ranks and answers cite."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from dangjian.core.models import StoredFileRecord


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
    # a 讲解: the library's video or audio whose transcript this is (kept in step with it)
    resource = models.ForeignKey(
        "learning.Resource",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="讲解音视频",
    )
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
    # the token this one replaced in a single change: an index built at `base` is brought to
    # `token` by applying the difference of the pieces in force (see index.py)
    base = models.CharField(max_length=32, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.token


class OpinionTopic(models.TextChoices):
    LIFE = "life", "组织生活"
    FEES = "fees", "党费"
    STUDY = "study", "学习教育"
    SERVICE = "service", "服务群众"
    STYLE = "style", "作风建设"
    OTHER = "other", "其他"


class OpinionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已办结"


class Opinion(models.Model):
    """意见建议: a member's opinion to their branch, or to the committee above when it concerns
    the branch itself. Anonymous towards the receiver when the member asks; never towards the
    audit (the author is always recorded)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="opinions", verbose_name="提出人"
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="opinions",
        verbose_name="办理党组织",
    )
    topic = models.CharField("类别", max_length=10, choices=OpinionTopic.choices)
    text = models.TextField("内容")
    anonymous = models.BooleanField("对党组织匿名", default=False)
    about_branch = models.BooleanField("反映本支部的问题", default=False)
    status = models.CharField(
        "状态", max_length=10, choices=OpinionStatus.choices, default=OpinionStatus.OPEN
    )
    created_at = models.DateTimeField("提出时间", auto_now_add=True)
    # when the current receiver got it (submitted, or forwarded to it): its reply time runs from
    since = models.DateTimeField("送达时间", default=timezone.now)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    rating = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    rating_comment = models.CharField("评价", max_length=200, blank=True)

    class Meta:
        verbose_name = "意见建议"
        verbose_name_plural = "意见建议"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"], name="assistant_opinion_org"),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()}：{self.text[:20]}"

    def author_for(self, viewer_is_member: bool) -> str:
        """The author as the receiver sees them: 匿名党员 when the member asked for it."""
        if self.anonymous and not viewer_is_member:
            return "匿名党员"
        return self.member.name


class OpinionStep(models.Model):
    """One step of an opinion's handling, shown to the member as its timeline."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "提出"
        REPLIED = "replied", "答复"
        FORWARDED = "forwarded", "转上级党组织"
        CLOSED = "closed", "办结"
        RATED = "rated", "评价"

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT)
    text = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "意见办理记录"
        verbose_name_plural = "意见办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.opinion_id} {self.kind}"


class OpinionPhoto(StoredFileRecord):
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = "意见照片"
        verbose_name_plural = "意见照片"
        ordering = ["id"]
