"""`{% extends %}` finding the root layout's blocks once (web/templatetags/builtin_extends.py)
renders what Django's tag renders, through several levels and `block.super`."""

from __future__ import annotations

from django.template import Context, Engine, engines
from django.template.loader_tags import ExtendsNode

from dangjian.web.templatetags.builtin_extends import KeptExtendsNode

TEMPLATES = {
    "root.html": "<h1>{% block title %}root{% endblock %}</h1>"
    "{% block body %}<p>root body</p>{% block inner %}i{% endblock %}{% endblock %}"
    "{% block foot %}f{% endblock %}",
    "middle.html": "{% extends 'root.html' %}{% block title %}mid/{{ block.super }}{% endblock %}"
    "{% block inner %}[{{ block.super }}{{ x }}]{% endblock %}",
    "child.html": "{% extends 'middle.html' %}"
    "{% block title %}child/{{ block.super }}{% endblock %}"
    "{% block foot %}{% for i in items %}{{ i }}{% endfor %}{% endblock %}",
    "direct.html": "{% extends 'root.html' %}{% block body %}direct{% endblock %}",
}


def _engine(kept: bool) -> Engine:
    return Engine(
        loaders=[
            (
                "django.template.loaders.cached.Loader",
                [("django.template.loaders.locmem.Loader", TEMPLATES)],
            )
        ],
        builtins=["dangjian.web.templatetags.builtin_extends"] if kept else [],
    )


def test_templates_get_the_kept_tag():
    node = engines["django"].from_string("{% extends 'web/base.html' %}").template.nodelist[0]
    assert type(node) is KeptExtendsNode
    plain = _engine(False).get_template("child.html").nodelist[0]
    assert type(plain) is ExtendsNode


def test_same_output_as_django_and_blocks_kept_on_the_root():
    kept, plain = _engine(True), _engine(False)
    for name in ("child.html", "middle.html", "direct.html"):
        for n in range(3):
            context = {"x": n, "items": list(range(n))}
            assert kept.get_template(name).render(Context(context)) == plain.get_template(
                name
            ).render(Context(context))
    root = kept.get_template("root.html")
    assert sorted(root._kept_blocks) == ["body", "foot", "inner", "title"]
    # only the root layout keeps its blocks: a parent that extends another adds its own itself
    assert not hasattr(kept.get_template("middle.html"), "_kept_blocks")
    assert kept.get_template("child.html").render(Context({"x": 1, "items": [7]})) == (
        "<h1>child/mid/root</h1><p>root body</p>[i1]7"
    )
