import django_filters
from django.db.models import Q

from .constants import OrgCategory, OrgKind
from .models import Organization


class OrganizationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices)
    category = django_filters.ChoiceFilter(choices=OrgCategory.choices)
    is_active = django_filters.BooleanFilter()
    parent = django_filters.NumberFilter(method="filter_parent", label="上级组织ID（直属下级）")
    q = django_filters.CharFilter(method="filter_q", label="名称或代码")

    class Meta:
        model = Organization
        fields = ["kind", "category", "is_active"]

    def filter_parent(self, qs, name, value):  # type: ignore[no-untyped-def]
        parent = qs.filter(pk=value).first()
        if parent is None:
            return qs.none()
        return qs.filter(path__under=parent.path, depth=parent.depth + 1)

    def filter_q(self, qs, name, value):  # type: ignore[no-untyped-def]

        return qs.filter(Q(name__contains=value) | Q(code__iexact=value))
