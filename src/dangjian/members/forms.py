from __future__ import annotations

from decimal import Decimal

from django import forms
from django.urls import reverse_lazy

from dangjian.web.forms import BootstrapMixin, DateInput
from dangjian.web.widgets import org_picker

from .constants import (
    ETHNICITY_CHOICES,
    EXIT_STATUSES,
    Education,
    FeeCategory,
    Gender,
    MemberStatus,
    Occupation,
)
from .services import MemberData

KEPT_HELP = "为保护个人信息只显示部分号码；不修改则保留原值，如需更正请完整填写新号码"


class MemberForm(BootstrapMixin, forms.Form):
    member_no = forms.CharField(
        label="党员编号",
        max_length=32,
        required=False,
        help_text="留空则按本系统的编号规则自动生成",
    )
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(
        label="身份证号", max_length=18, help_text="18位，保存时校验末位校验码；加密存储"
    )
    phone = forms.CharField(label="手机号", max_length=11, required=False)
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, initial="汉族")
    education = forms.ChoiceField(
        label="学历", choices=[("", "—")] + list(Education.choices), required=False
    )
    occupation = forms.ChoiceField(
        label="职业类别", choices=[("", "—")] + list(Occupation.choices), required=False
    )
    work_unit = forms.CharField(label="工作单位", max_length=100, required=False)
    status = forms.ChoiceField(
        label="党籍状态",
        choices=[(MemberStatus.PROBATIONARY, "预备党员"), (MemberStatus.FULL, "正式党员")],
    )
    joined_on = forms.DateField(
        label="入党日期", widget=DateInput(), help_text="支部大会通过接收为预备党员的日期"
    )
    full_on = forms.DateField(label="转正日期", widget=DateInput(), required=False)
    fee_category = forms.ChoiceField(label="党费类别", choices=FeeCategory.choices)
    fee_base = forms.DecimalField(
        label="党费计算基数（元/月）",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text="在职为税后工资中相对固定的部分；离退休为养老金",
    )

    def __init__(  # type: ignore[no-untyped-def]
        self,
        *args,
        editing: bool = False,
        pick_org: bool = False,
        kept: dict[str, tuple[str, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        # Fields shown masked to an editor who may not see them in full: {field: (masked, stored)}.
        # The masked text sent back unchanged keeps the stored value; anything else replaces it.
        self.kept = kept or {}
        for field, (shown, _stored) in self.kept.items():
            self.fields[field].initial = shown
            self.fields[field].help_text = KEPT_HELP
        if pick_org:  # 新增党员 from the roster: the branch is chosen first
            self.fields = {
                "organization": forms.CharField(
                    label="所在党组织",
                    max_length=32,
                    widget=org_picker(
                        reverse_lazy("orgs:lookup"),
                        "change",
                        kinds="branch,general_branch,committee",
                        attrs={"class": "form-control"},
                    ),
                    help_text="党员的组织关系所在的党支部（或党总支、党委）",
                ),
                **self.fields,
            }
        if editing:
            self.fields["member_no"].disabled = True
            self.fields["member_no"].help_text = ""
            self.fields["status"].disabled = True
            self.fields["status"].choices = MemberStatus.choices  # type: ignore[attr-defined]
            self.fields["status"].help_text = "党籍状态请在党员页面通过“党籍状态变更”办理"

    def _value(self, field: str) -> str:
        value = (self.cleaned_data.get(field) or "").strip()
        if field in self.kept and value == self.kept[field][0]:
            return self.kept[field][1]
        return value

    def to_data(self) -> MemberData:
        d = self.cleaned_data
        return MemberData(
            name=d["name"],
            gender=d["gender"],
            birth_date=d["birth_date"],
            id_number=self._value("id_number"),
            phone=self._value("phone"),
            status=d["status"],
            joined_on=d["joined_on"],
            full_on=d.get("full_on"),
            fee_category=d["fee_category"],
            fee_base_fen=int(d["fee_base"] * 100),
            ethnicity=d["ethnicity"],
            education=d.get("education") or "",
            occupation=d.get("occupation") or "",
            work_unit=d.get("work_unit") or "",
        )


class StatusForm(BootstrapMixin, forms.Form):
    to_status = forms.ChoiceField(
        label="变更为",
        choices=[
            (s, MemberStatus(s).label)
            for s in [MemberStatus.FULL, MemberStatus.SUSPENDED, *EXIT_STATUSES]
        ],
    )
    on = forms.DateField(label="决定日期", widget=DateInput())
    reason = forms.CharField(
        label="依据", max_length=300, help_text="如：支部大会决议日期及上级党委批准文号"
    )
