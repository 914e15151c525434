"""REST API v1 for members: scoped, masked by default, paginated, filterable.

Writes go through the same services as the web pages; full ID numbers and phones are never in
these responses — they are read one at a time through the audited unmask endpoint.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from dangjian.accounts import policy
from dangjian.core.errors import DomainError, NotVisible

from . import selectors, services
from .constants import ETHNICITIES, Education, FeeCategory, Gender, MemberStatus, Occupation
from .filters import MemberFilter
from .models import Member


class MemberSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    fee_base = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id",
            "member_no",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "organization",
            "organization_code",
            "organization_name",
            "status",
            "joined_on",
            "full_on",
            "left_on",
            "fee_category",
            "fee_base",
            "ethnicity",
            "education",
            "occupation",
            "work_unit",
        ]

    def get_fee_base(self, obj: Member) -> str:
        return f"{obj.fee_base_fen // 100}.{obj.fee_base_fen % 100:02d}"


class MemberWriteSerializer(serializers.Serializer):
    member_no = serializers.CharField(max_length=32)
    organization = serializers.IntegerField()
    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices)
    birth_date = serializers.DateField()
    id_number = serializers.CharField(max_length=18)
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=[MemberStatus.PROBATIONARY, MemberStatus.FULL])
    joined_on = serializers.DateField()
    full_on = serializers.DateField(required=False, allow_null=True, default=None)
    fee_category = serializers.ChoiceField(choices=FeeCategory.choices)
    fee_base = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    ethnicity = serializers.ChoiceField(choices=ETHNICITIES, default="汉族")
    education = serializers.ChoiceField(
        choices=Education.choices, required=False, allow_blank=True, default=""
    )
    occupation = serializers.ChoiceField(
        choices=Occupation.choices, required=False, allow_blank=True, default=""
    )
    work_unit = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def to_data(self) -> services.MemberData:
        d = self.validated_data
        return services.MemberData(
            name=d["name"],
            gender=d["gender"],
            birth_date=d["birth_date"],
            id_number=d["id_number"],
            phone=d["phone"],
            status=d["status"],
            joined_on=d["joined_on"],
            full_on=d["full_on"],
            fee_category=d["fee_category"],
            fee_base_fen=int(d["fee_base"] * 100),
            ethnicity=d["ethnicity"],
            education=d["education"],
            occupation=d["occupation"],
            work_unit=d["work_unit"],
        )


class MemberViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """党员：列表、详情（脱敏）、新增；完整敏感信息经 unmask 单独读取并留痕。"""

    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    ordering_fields = ["member_no", "name", "joined_on", "birth_date"]
    ordering = ["member_no"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        # The same scoped search as the web list (index-friendly at city scale). Members on the
        # roll by default; `?status=` reaches the others (exited members included).
        return selectors.member_search(
            self.request.user, include_exited="status" in self.request.query_params
        )

    def known_count(self) -> int | None:
        """The unfiltered list's total, from the organizations' counters (no COUNT over members)."""
        params = set(self.request.query_params) - {"page", "page_size", "ordering"}
        if self.action != "list" or params - {"org"}:
            return None
        org = None
        if "org" in params:
            org = (
                policy.visible_to(self.request.user)
                .filter(pk=self.request.query_params.get("org", ""))
                .first()
                if self.request.query_params.get("org", "").isdecimal()
                else None
            )
            if org is None:
                return None
        return selectors.member_count_on_roll(self.request.user, org)

    def retrieve(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        member = self.get_object()
        selectors.member_log_view(request.user, member, via="api")
        return Response(self.get_serializer(member).data)

    @extend_schema(request=MemberWriteSerializer, responses={201: MemberSerializer})
    def create(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        ser = MemberWriteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        org = (
            policy.visible_to(request.user, "change")
            .filter(pk=ser.validated_data["organization"])
            .first()
        )
        if org is None:
            raise DomainError("not_found", "组织不存在或不在您的管理范围内", field="organization")
        member = services.member_create(
            actor=request.user,
            organization=org,
            member_no=ser.validated_data["member_no"],
            data=ser.to_data(),
        )
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "Unmasked", {"field": serializers.CharField(), "value": serializers.CharField()}
            )
        },
    )
    @action(detail=True, methods=["post"], url_path=r"unmask/(?P<field>id_number|phone)")
    def unmask(self, request, pk=None, field=None):  # type: ignore[no-untyped-def]
        member = self.get_object()
        try:
            value = selectors.member_unmask(request.user, member, field)
        except DomainError as exc:
            return Response(
                {"code": exc.code, "detail": exc.message}, status=status.HTTP_403_FORBIDDEN
            )
        return Response({"field": field, "value": value})

    def handle_exception(self, exc):  # type: ignore[no-untyped-def]
        if isinstance(exc, NotVisible):
            exc = NotFound(exc.message)
        return super().handle_exception(exc)
