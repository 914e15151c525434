"""dangjian kb import PATH… [--scope ORG_CODE] [--title … --issuer … --date … --doc-version …]
dangjian kb rules | dangjian kb reindex | dangjian kb list"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.assistant import index, services
from dangjian.assistant.extract import EXTENSIONS
from dangjian.assistant.models import DocKind, Document
from dangjian.core.errors import DomainError
from dangjian.learning.models import Resource
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "党建助手知识库：import 载入文档（.docx/.pdf/.html/.txt/.md），rules 收录监测规则，"
        "reindex 重建索引，list 列出文档"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["import", "rules", "reindex", "list"])
        parser.add_argument("paths", nargs="*", help="文件或文件夹")
        parser.add_argument("--scope", default="", help="适用范围的组织代码（默认：全平台）")
        parser.add_argument("--title", default="")
        parser.add_argument("--issuer", default="")
        parser.add_argument("--date", default="", help="发布日期 YYYY-MM-DD")
        parser.add_argument(
            "--doc-version", dest="doc_version", default="", help="版本，如 2024年版"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "rules":
            doc = services.rules_index(actor=None, rules=services.registry_rules())
            self.stdout.write(f"已收录监测规则 {doc.pieces.count()} 条")
            return
        if action == "reindex":
            synced = services.explanations_sync(
                list(Resource.objects.exclude(transcript="").values_list("pk", flat=True))
                + list(
                    Document.objects.filter(kind=DocKind.MEDIA, in_force=True)
                    .exclude(resource=None)
                    .values_list("resource_id", flat=True)
                )
            )
            if synced:
                self.stdout.write(f"讲解已同步：{synced} 篇")
            loaded = index.rebuild()
            self.stdout.write(f"索引已重建：{len(loaded.ids)} 个片段")
            return
        if action == "list":
            for d in Document.objects.filter(in_force=True).order_by("title"):
                self.stdout.write(f"{d.pk}\t{d.title}\t{d.version}\t{d.pieces.count()}段")
            return
        self._import(opts)

    def _import(self, opts: dict[str, Any]) -> None:
        org = None
        if opts["scope"]:
            org = Organization.objects.filter(code=opts["scope"]).first()
            if org is None:
                raise CommandError(f"组织代码“{opts['scope']}”不存在")
        try:
            issued = date.fromisoformat(opts["date"]) if opts["date"] else None
        except ValueError as exc:
            raise CommandError("--date 应写作 2024-01-31") from exc
        files: list[Path] = []
        for raw in opts["paths"]:
            p = Path(raw)
            if p.is_dir():
                files += sorted(f for f in p.rglob("*") if f.suffix.lower() in EXTENSIONS)
            elif p.exists():
                files.append(p)
            else:
                raise CommandError(f"找不到 {raw}")
        if not files:
            raise CommandError("请给出要载入的文件或文件夹")
        meta = services.Meta(
            title=opts["title"] if len(files) == 1 else "",
            issuer=opts["issuer"],
            issued_on=issued,
            version=opts["doc_version"],
        )
        loaded = refused = 0
        for f in files:
            try:
                doc = services.document_load(
                    actor=None, name=f.name, data=f.read_bytes(), meta=meta, organization=org
                )
            except DomainError as exc:
                refused += 1
                self.stderr.write(f"未载入 {f}：{exc.message}")
                continue
            loaded += 1
            self.stdout.write(f"已载入 {f.name}：《{doc.title}》{doc.pieces.count()}段")
        self.stdout.write(f"共载入 {loaded} 个文件，未载入 {refused} 个")
        if refused and not loaded:
            raise CommandError("没有载入任何文件")
