from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import member_picker, org_picker

from .constants import OrgCategory, OrgKind, PostKind


class OrgCreateForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label="组织代码", max_length=32, help_text="全市唯一、长期不变，用于数据导入导出"
    )
    name = forms.CharField(label="组织名称", max_length=100)
    kind = forms.ChoiceField(label="组织类型", choices=OrgKind.choices)
    category = forms.ChoiceField(label="单位类别", choices=OrgCategory.choices)
    established_on = forms.DateField(label="成立日期", widget=DateInput())


class OrgUpdateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="组织名称", max_length=100)
    kind = forms.ChoiceField(label="组织类型", choices=OrgKind.choices)
    category = forms.ChoiceField(label="单位类别", choices=OrgCategory.choices)


LOOKUP = reverse_lazy("orgs:lookup")
MEMBER_LOOKUP = reverse_lazy("members:lookup")


class OrgMoveForm(BootstrapMixin, forms.Form):
    parent_code = forms.CharField(
        label="新的上级组织", max_length=32, widget=org_picker(LOOKUP, "manage")
    )


class OrgDissolveForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label="撤销日期", widget=DateInput())
    reason = forms.CharField(label="撤销原因及批复文号", max_length=300)


class OrgMergeForm(BootstrapMixin, forms.Form):
    target_code = forms.CharField(
        label="并入的组织", max_length=32, widget=org_picker(LOOKUP, "manage")
    )
    on = forms.DateField(label="合并日期", widget=DateInput())
    reason = forms.CharField(label="合并原因及批复文号", max_length=300)


class TermForm(BootstrapMixin, forms.Form):
    elected_on = forms.DateField(label="选举日期", widget=DateInput())
    term_years = forms.IntegerField(
        label="任期（年）",
        min_value=1,
        max_value=10,
        help_text="党支部、党总支3年；基层党委及村、社区党组织5年",
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class PostForm(BootstrapMixin, forms.Form):
    member_no = forms.CharField(
        label="党员", max_length=32, widget=member_picker(MEMBER_LOOKUP), help_text="本组织的党员"
    )
    post = forms.ChoiceField(label="职务", choices=PostKind.choices)
    started_on = forms.DateField(label="任职日期", widget=DateInput(), required=False)


class UnitForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=[("unit", "单位"), ("project", "项目")])
    name = forms.CharField(label="名称", max_length=100)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    category = forms.ChoiceField(label="单位类别", choices=OrgCategory.choices)
    full_members = forms.IntegerField(
        label="正式党员数",
        min_value=0,
        max_value=100000,
        help_text="本单位（项目）工作的正式党员人数，按党内统计填写",
    )
    organization_code = forms.CharField(
        label="所建党组织（或覆盖它的联合党支部）",
        max_length=32,
        required=False,
        widget=org_picker(LOOKUP, "view"),
        help_text="尚未建立党组织的留空",
    )
    started_on = forms.DateField(
        label="项目开始日期", widget=DateInput(), required=False, help_text="仅项目填写"
    )
    ends_on = forms.DateField(
        label="项目计划结束日期",
        widget=DateInput(),
        required=False,
        help_text="仅项目填写；周期未定的留空",
    )
    finished_on = forms.DateField(label="项目实际结束日期", widget=DateInput(), required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)


class OrgRequestForm(BootstrapMixin, forms.Form):
    proposed_name = forms.CharField(label="拟成立组织名称", max_length=100)
    proposed_kind = forms.ChoiceField(
        label="拟成立组织类型",
        choices=[("branch", "党支部"), ("general_branch", "党总支"), ("committee", "党委")],
    )
    unit = forms.TypedChoiceField(label="申请单位", coerce=int, required=False, empty_value=None)
    submitted_on = forms.DateField(
        label="请示日期", widget=DateInput(), help_text="收到请示之日起1个月内应作出批复"
    )


class OrgRequestAnswerForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label="批复意见", choices=[("approved", "同意"), ("rejected", "不同意")]
    )
    answered_on = forms.DateField(label="批复日期", widget=DateInput())
    reply = forms.CharField(label="批复文号及说明", max_length=300)


class ElectionRequestForm(BootstrapMixin, forms.Form):
    requested_on = forms.DateField(
        label="换届请示日期", widget=DateInput(), help_text="任期届满前1至2个月报上级党组织"
    )
    approved_on = forms.DateField(label="上级批复日期", widget=DateInput(), required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)


class ElectionResultForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label="选举日期", widget=DateInput())
    eligible = forms.IntegerField(
        label="应到有选举权党员",
        min_value=1,
        help_text="正式党员，不含预备党员和留党察看期间的党员",
    )
    present = forms.IntegerField(
        label="实到有选举权党员", min_value=1, help_text="须超过应到人数的五分之四"
    )
    seats = forms.IntegerField(label="应选名额", min_value=1)
    candidates = forms.IntegerField(
        label="候选人数", min_value=1, help_text="差额不少于应选名额的20%"
    )
    min_winner_votes = forms.IntegerField(
        label="当选人最低得票", min_value=0, help_text="须超过实到人数的一半"
    )
    term_years = forms.IntegerField(
        label="任期（年）",
        min_value=1,
        max_value=10,
        help_text="党支部、党总支3年；基层党委及村、社区党组织5年",
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class ElectionReportForm(BootstrapMixin, forms.Form):
    reported_on = forms.DateField(
        label="结果上报日期", widget=DateInput(), help_text="选举后1个月内报上级党组织"
    )
    secretary_approved_on = forms.DateField(
        label="书记、副书记批复日期", widget=DateInput(), required=False
    )


class TermExtendForm(BootstrapMixin, forms.Form):
    until = forms.DateField(label="延期至", widget=DateInput(), help_text="延期一般不超过1年")
    approved_on = forms.DateField(label="批准日期", widget=DateInput())
    reason = forms.CharField(label="延期原因及批复文号", max_length=300)
