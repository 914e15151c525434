"""`{% url %}` kept per process (web/templatetags/builtin_urls.py) gives what Django's tag gives,
raises as it does, and reverses a name once per URL configuration."""

from __future__ import annotations

from unittest import mock

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse

from dangjian.web.templatetags import builtin_urls


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture(autouse=True)
def _empty():
    builtin_urls._URLS.clear()
    yield
    builtin_urls._URLS.clear()


def test_templates_get_the_kept_tag_without_loading_it():
    template = engines["django"].from_string("{% url 'notify:inbox' %}")
    nodes = template.template.nodelist
    assert type(nodes[0]) is builtin_urls.KeptURLNode


def test_same_urls_as_django():
    assert _render("{% url 'notify:inbox' %}") == reverse("notify:inbox")
    assert _render("{% url 'members:detail' 7 %}") == reverse("members:detail", args=[7])
    assert _render("{% url 'members:detail' pk=n %}", n=8) == reverse(
        "members:detail", kwargs={"pk": 8}
    )
    assert _render("{% url 'members:detail' n %}", n="9") == reverse("members:detail", args=[9])
    detail = reverse("members:detail", args=[7])
    assert _render("{% url 'members:detail' 7 as u %}[{{ u }}]") == f"[{detail}]"


def test_reversed_once_then_kept():
    with mock.patch.object(builtin_urls, "reverse", wraps=reverse) as spy:
        for _ in range(3):
            _render("{% url 'notify:inbox' %}{% url 'members:detail' 7 %}")
        _render("{% url 'members:detail' 8 %}")
    assert spy.call_count == 3  # inbox, detail 7, detail 8


def test_unknown_name_raises_and_as_var_is_empty():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'notify:nowhere' %}")
    assert _render("{% url 'notify:nowhere' as u %}[{{ u }}]") == "[]"
    assert builtin_urls._URLS == {}


def test_objects_as_arguments_are_not_kept():
    class Pk:
        def __init__(self, n: int) -> None:
            self.n = n

        def __str__(self) -> str:
            return str(self.n)

    one = Pk(5)
    assert _render("{% url 'members:detail' o %}", o=one) == reverse("members:detail", args=[5])
    one.n = 6
    assert _render("{% url 'members:detail' o %}", o=one) == reverse("members:detail", args=[6])
    assert builtin_urls._URLS == {}


def test_bound_store_starts_again(monkeypatch):
    monkeypatch.setattr(builtin_urls, "LIMIT", 2)
    for n in (1, 2, 3):
        _render("{% url 'members:detail' n %}", n=n)
    assert len(builtin_urls._URLS) == 1


def _elsewhere(request):  # pragma: no cover - never called
    raise AssertionError


urlpatterns = [
    path("elsewhere/<int:pk>/", _elsewhere, name="detail"),
    path("named/<str:name>/", _elsewhere, name="named"),
]


@override_settings(ROOT_URLCONF=__name__)
def test_another_url_configuration_is_not_served_the_kept_url():
    assert _render("{% url 'detail' 3 %}") == "/elsewhere/3/"


def test_the_url_configuration_is_part_of_the_key():
    with override_settings(ROOT_URLCONF=__name__):
        elsewhere = Template("{% url 'detail' 3 %}").render(Context())
    assert elsewhere == "/elsewhere/3/"
    with pytest.raises(NoReverseMatch):
        _render("{% url 'detail' 3 %}")


def test_the_script_prefix_is_each_requests():
    """Read once per request: a request served under another prefix gets its own URLs."""
    from django.test import RequestFactory
    from django.urls import set_script_prefix

    template = engines["django"].from_string("{% url 'notify:inbox' %}")
    first = RequestFactory().get("/")
    plain = template.render({}, first)
    assert plain == reverse("notify:inbox")
    set_script_prefix("/dangjian/")
    try:
        second = RequestFactory().get("/")
        assert template.render({}, second) == "/dangjian" + plain
        assert template.render({}, second) == "/dangjian" + plain
    finally:
        set_script_prefix("/")
    assert template.render({}, RequestFactory().get("/")) == plain


def test_escaped_for_html_unless_autoescape_is_off():
    """`reverse` leaves & and ' as they are in a path: the tag escapes them, kept or not."""
    with override_settings(ROOT_URLCONF=__name__):
        for _ in range(2):
            assert _render("{% url 'named' n %}", n="a&b'c") == "/named/a&amp;b&#x27;c/"
            off = "{% autoescape off %}{% url 'named' n %}{% endautoescape %}"
            assert _render(off, n="a&b'c") == "/named/a&b'c/"
            assert _render("{% url 'named' n as u %}{{ u }}", n="a&b") == "/named/a&amp;b/"
