"""REST API v1 for organizations: read-only, scoped to the caller's subtrees."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from dangjian.accounts import policy

from .filters import OrganizationFilter
from .models import Organization


class OrganizationSerializer(serializers.ModelSerializer):
    parent_code = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_label",
            "category",
            "category_label",
            "established_on",
            "is_active",
            "dissolved_on",
            "depth",
            "numchild",
            "parent_code",
        ]

    def get_parent_code(self, obj: Organization) -> str | None:
        codes = self.context.get("parent_codes", {})
        return codes.get(obj.path[: -Organization.steplen]) if obj.depth > 1 else None


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """组织：列表与详情（按授权范围）。"""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["code", "name", "established_on", "path"]
    ordering = ["path"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return policy.visible_to(self.request.user)

    def get_serializer_context(self):  # type: ignore[no-untyped-def]
        ctx = super().get_serializer_context()
        ctx["parent_codes"] = getattr(self, "_parent_codes", {})
        return ctx

    def paginate_queryset(self, queryset):  # type: ignore[no-untyped-def]
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        parent_paths = {o.path[: -Organization.steplen] for o in rows if o.depth > 1}
        self._parent_codes = dict(
            Organization.objects.filter(path__in=parent_paths).values_list("path", "code")
        )
        return page

    def get_object(self):  # type: ignore[no-untyped-def]
        obj = super().get_object()
        if obj.depth > 1:
            self._parent_codes = dict(
                Organization.objects.filter(path=obj.path[: -Organization.steplen]).values_list(
                    "path", "code"
                )
            )
        return obj
