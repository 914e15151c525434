from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.calendar_view, name="calendar"),
    path("org/<int:pk>/plan/", views.plan_generate_view, name="plan_generate"),
    path("org/<int:pk>/new/", views.plan_new_view, name="plan_new"),
    path("org/<int:org_pk>/record/", views.record_view, name="record_new"),
    path("org/<int:pk>/handlings/", views.handlings_view, name="handlings"),
    path("handlings/<int:pk>/", views.handling_decide_view, name="handling_decide"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/edit/", views.plan_edit_view, name="plan_edit"),
    path("<int:pk>/publish/", views.publish_view, name="publish"),
    path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("<int:pk>/record/", views.record_view, name="record"),
    path("<int:pk>/appraisal/", views.appraisal_view, name="appraisal"),
    path("<int:pk>/rectifications/", views.rectification_view, name="rectify"),
    path(
        "<int:pk>/rectifications/<int:rid>/done/",
        views.rectification_done_view,
        name="rectify_done",
    ),
    path("<int:pk>/files/<int:aid>/", views.attachment_view, name="attachment"),
    path("<int:pk>/minutes.<str:fmt>", views.export_view, name="export"),
    path("member/<int:member_id>/", views.member_view, name="member"),
    path("member/<int:member_id>/leave/", views.leave_view, name="leave"),
    path("leaves/<int:pk>/decide/", views.leave_decide_view, name="leave_decide"),
    path("<int:pk>/void/", views.void_view, name="void"),
    path("me/", views.my_view, name="my"),
    path("m/<int:pk>/", views.member_meeting_view, name="member_meeting"),
    path("m/<int:pk>/sign-in/", views.sign_in_view, name="sign_in"),
    path("m/<int:pk>/leave/", views.leave_request_view, name="leave_request"),
]
