"""`{% extends %}` that finds the root layout's blocks once per compiled template: a template
builtin (settings.TEMPLATES) replacing Django's tag of the same name.

On every render Django's ExtendsNode walks the whole node tree of the root template (web/base.html:
every page) to collect its `{% block %}` nodes. The compiled template does not change while it is
kept (the cached loader), so the blocks found are kept on it."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, TextNode, Token
from django.template.context import Context
from django.template.loader_tags import (
    BLOCK_CONTEXT_KEY,
    BlockContext,
    BlockNode,
    ExtendsNode,
    do_extends,
)
from django.utils.safestring import SafeString

register = template.Library()


class KeptExtendsNode(ExtendsNode):
    def render(self, context: Context) -> SafeString:
        compiled_parent: Any = self.get_parent(context)
        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]
        block_context.add_blocks(self.blocks)
        # the root layout's own blocks (a parent that extends another adds its own when it
        # renders), as Django's node finds them, kept on the compiled template
        for node in compiled_parent.nodelist:
            if not isinstance(node, TextNode):
                if not isinstance(node, ExtendsNode):
                    blocks = getattr(compiled_parent, "_kept_blocks", None)
                    if blocks is None:
                        found: list[Any] = compiled_parent.nodelist.get_nodes_by_type(BlockNode)
                        blocks = {n.name: n for n in found}
                        compiled_parent._kept_blocks = blocks
                    block_context.add_blocks(blocks)
                break
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag("extends")
def extends(parser: Parser, token: Token) -> KeptExtendsNode:
    node = do_extends(parser, token)
    return KeptExtendsNode(node.nodelist, node.parent_name)
