import django_filters

from dangjian.orgs.models import Organization

from .constants import FeeCategory, MemberStatus
from .models import Member


class MemberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices)
    fee_category = django_filters.ChoiceFilter(choices=FeeCategory.choices)
    org = django_filters.NumberFilter(method="filter_org", label="组织ID（含下级）")
    name = django_filters.CharFilter(field_name="name", lookup_expr="startswith")
    member_no = django_filters.CharFilter()
    joined_after = django_filters.DateFilter(field_name="joined_on", lookup_expr="gte")
    joined_before = django_filters.DateFilter(field_name="joined_on", lookup_expr="lte")

    class Meta:
        model = Member
        fields = ["status", "fee_category", "member_no"]

    def filter_org(self, qs, name, value):  # type: ignore[no-untyped-def]

        org = Organization.objects.filter(pk=value).first()
        if org is None:
            return qs.none()
        return qs.filter(organization__path__under=org.path)
