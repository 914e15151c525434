from django.urls import path

from . import views

app_name = "academy"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("new/", views.new_view, name="new"),
    path("teachers/", views.teachers_view, name="teachers"),
    path("figures/", views.figures_view, name="figures"),
    path("my/", views.my_view, name="my"),
    path("<int:pk>/", views.class_view, name="class"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/sessions/new/", views.session_new_view, name="session_new"),
    path("<int:pk>/nominate/", views.nominate_view, name="nominate"),
    path("<int:pk>/decide/", views.decide_view, name="decide"),
    path("<int:pk>/publish/", views.publish_view, name="publish"),
    path("<int:pk>/assess/", views.assess_view, name="assess"),
    path("<int:pk>/certificates/", views.batch_view, name="batch"),
    path("batch/<int:pk>.pdf", views.batch_file_view, name="batch_file"),
    path("session/<int:pk>/", views.session_view, name="session"),
    path("session/<int:pk>/remove/", views.session_remove_view, name="session_remove"),
    path("session/<int:pk>/attendance/", views.attendance_view, name="attendance"),
    path("session/<int:pk>/sign/", views.sign_view, name="sign"),
    path("session/<int:pk>/leave/", views.leave_view, name="leave"),
    path("session/<int:pk>/rate/", views.rate_view, name="rate"),
    path("enrolment/<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("enrolment/<int:pk>/score/", views.score_view, name="score"),
    path("leave/<int:pk>/decide/", views.leave_decide_view, name="leave_decide"),
    path("certificate/<int:pk>.pdf", views.certificate_view, name="certificate"),
    path("certificate/<int:pk>/revoke/", views.revoke_view, name="revoke"),
    path("t/<str:token>/", views.pass_view, name="pass"),
    path("verify/<str:token>/", views.verify_view, name="verify"),
]
