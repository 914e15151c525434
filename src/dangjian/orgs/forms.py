from __future__ import annotations

from django import forms

from dangjian.web.forms import BootstrapMixin, DateInput

from .constants import OrgCategory, OrgKind, PostKind


class OrgCreateForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label="组织代码", max_length=32, help_text="全市唯一、长期不变，用于数据导入导出")
    name = forms.CharField(label="组织名称", max_length=100)
    kind = forms.ChoiceField(label="组织类型", choices=OrgKind.choices)
    category = forms.ChoiceField(label="单位类别", choices=OrgCategory.choices)
    established_on = forms.DateField(label="成立日期", widget=DateInput())


class OrgUpdateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="组织名称", max_length=100)
    kind = forms.ChoiceField(label="组织类型", choices=OrgKind.choices)
    category = forms.ChoiceField(label="单位类别", choices=OrgCategory.choices)


def picker(url: str, action: str = "manage") -> forms.TextInput:
    return forms.TextInput(attrs={"data-lookup": f"{url}?action={action}", "autocomplete": "off",
                                  "placeholder": "输入名称或代码查找"})


class OrgMoveForm(BootstrapMixin, forms.Form):
    parent_code = forms.CharField(label="新的上级组织", max_length=32, widget=picker("/orgs/lookup/"))


class OrgDissolveForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="撤销日期", widget=DateInput())
    reason = forms.CharField(label="撤销原因及批复文号", max_length=300)


class OrgMergeForm(BootstrapMixin, forms.Form):
    target_code = forms.CharField(label="并入的组织", max_length=32, widget=picker("/orgs/lookup/"))
    on = forms.DateField(label="合并日期", widget=DateInput())
    reason = forms.CharField(label="合并原因及批复文号", max_length=300)


class TermForm(BootstrapMixin, forms.Form):
    elected_on = forms.DateField(label="选举日期", widget=DateInput())
    term_years = forms.IntegerField(label="任期（年）", min_value=1, max_value=10, help_text="党支部、党总支3年；基层党委及村、社区党组织5年")
    note = forms.CharField(label="备注", max_length=200, required=False)


class PostForm(BootstrapMixin, forms.Form):
    member_no = forms.CharField(label="党员", max_length=32, help_text="输入姓名或党员编号查找")
    post = forms.ChoiceField(label="职务", choices=PostKind.choices)
    started_on = forms.DateField(label="任职日期", widget=DateInput(), required=False)
