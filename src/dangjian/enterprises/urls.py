from django.urls import path

from . import views

app_name = "enterprises"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.coverage_view, name="coverage"),
    path("org/<int:pk>/list/", views.list_view, name="list"),
    path("org/<int:pk>/new/", views.enterprise_new_view, name="enterprise_new"),
    path("org/<int:pk>/instructors/", views.instructors_view, name="instructors"),
    path("org/<int:pk>/instructors/new/", views.instructor_new_view, name="instructor_new"),
    path("org/<int:pk>/stations/new/", views.station_new_view, name="station_new"),
    path("org/<int:pk>/parks/new/", views.park_new_view, name="park_new"),
    path("enterprise/<int:pk>/", views.enterprise_view, name="enterprise"),
    path("enterprise/<int:pk>/edit/", views.enterprise_edit_view, name="enterprise_edit"),
    path("instructor/<int:pk>/", views.instructor_view, name="instructor"),
    path("instructor/<int:pk>/edit/", views.instructor_edit_view, name="instructor_edit"),
    path("instructors/lookup/", views.instructor_lookup_view, name="instructor_lookup"),
    path("case/<int:pk>/", views.case_view, name="case"),
    path("enterprise/<int:pk>/positions/", views.position_view, name="positions"),
    path("org/<int:pk>/teams/", views.teams_view, name="teams"),
    path("team/<int:pk>/", views.team_view, name="team"),
    path("milestone-photo/<int:pk>/", views.milestone_photo_view, name="milestone_photo"),
    path("org/<int:pk>/joint/", views.joint_view, name="joint"),
    path("org/<int:pk>/showcase/", views.showcase_view, name="showcase"),
    path("org/<int:pk>/showcase/new/<str:what>/", views.showcase_new_view, name="showcase_new"),
    path("brand-logo/<int:pk>/", views.brand_logo_view, name="brand_logo"),
    path("honour-file/<int:pk>/", views.honour_file_view, name="honour_file"),
    path("my/", views.my_view, name="my"),
]
