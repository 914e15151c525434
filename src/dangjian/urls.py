from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from dangjian.members.api import MemberViewSet
from dangjian.orgs.api import OrganizationViewSet
from dangjian.web.views import healthz

router = DefaultRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("members", MemberViewSet, basename="member")

urlpatterns = [
    path("", include("dangjian.portal.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("", include("dangjian.interchange.urls")),  # import/…, export/…
    path("monitor/", include("dangjian.compliance.urls")),
    path("inbox/", include("dangjian.notify.urls")),
    path("supervision/", include("dangjian.supervision.urls")),
    path("fees/", include("dangjian.fees.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("learning/", include("dangjian.learning.urls")),
    path("community/", include("dangjian.community.urls")),
    path("villages/", include("dangjian.villages.urls")),
    path("enterprises/", include("dangjian.enterprises.urls")),
    path("academy/", include("dangjian.academy.urls")),
    path("assistant/", include("dangjian.assistant.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]

handler403 = "dangjian.web.errors.forbidden"
handler404 = "dangjian.web.errors.not_found"
