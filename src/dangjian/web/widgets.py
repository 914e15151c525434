"""Pickers: people and organizations are chosen, never typed.

A `Picker` renders a search box that asks a lookup URL as the user types (the server scopes the
answers: the user's subtree, or the whole deployment where the act allows it), a list to choose
from with the mouse or the keyboard, for organizations a tree to browse, and a hidden input
holding what was chosen (an organization code, a member number, a user name; several, comma
separated, for `multiple`). The lookup answers `?q=` (search: name, code or number, pinyin
initials), `?value=` (the labels of values already chosen) and, for trees, `?parent=` (one level;
empty = the tops of the scope), each as {"results": [{"value", "label", "hint", "children",
"selectable"}]}. Without JavaScript the visible box posts the typed code or number."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy

from .forms import split_numbers


class Picker(forms.TextInput):
    template_name = "web/widgets/picker.html"

    def __init__(
        self,
        url: Any,
        *,
        tree: bool = False,
        multiple: bool = False,
        as_list: bool = False,
        placeholder: str = "输入名称、代码或拼音首字母查找",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        """`multiple`: several values, posted comma separated (a CharField splits them) or, with
        `as_list`, as a list (for a ModelMultipleChoiceField)."""
        super().__init__(attrs={"placeholder": placeholder, **(attrs or {})})
        self.url, self.tree, self.multiple, self.as_list = url, tree, multiple, as_list

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value if v not in (None, ""))
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        ctx = super().get_context(name, value, attrs)
        ctx["widget"].update({"url": str(self.url), "tree": self.tree, "multiple": self.multiple})
        return ctx

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        """The chosen value (a list, `as_list`); without JavaScript, what was typed in the search
        box."""
        if self.multiple and self.as_list:
            posted = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
            chosen = ",".join(v for v in posted if v) or data.get(f"{name}__search") or ""
            return split_numbers(chosen)
        return data.get(name) or data.get(f"{name}__search") or ""

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}__search" not in data


def org_picker(url: Any, action: str = "view", *, kinds: str = "", **kw: Any) -> Picker:
    """An organization picker on `url` (a lookup view), for organizations the user may act on
    (`action`), of the given kinds only (comma separated) when set."""
    query = f"?action={action}" + (f"&kinds={kinds}" if kinds else "")
    return Picker(format_lazy("{}{}", url, query), tree=True, **kw)


def member_picker(url: Any, *, multiple: bool = False, **kw: Any) -> Picker:
    kw.setdefault("placeholder", "输入姓名、党员编号或拼音首字母查找")
    return Picker(url, multiple=multiple, **kw)
