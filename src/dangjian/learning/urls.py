from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.library_view, name="library"),
    path("org/<int:pk>/new/", views.course_new_view, name="course_new"),
    path("org/<int:pk>/hours/", views.hours_view, name="hours"),
    path("org/<int:pk>/quiz/", views.quiz_view, name="quiz"),
    path("course/<int:pk>/", views.course_view, name="course"),
    path("resource/<int:pk>/file", views.staff_media_view, name="staff_media"),
    path("resource/<int:pk>/transcript/", views.transcript_view, name="transcript"),
    path("points/", views.points_view, name="points"),
    path("my/", views.my_view, name="my"),
    path("my/points/", views.points_choice_view, name="points_choice"),
    path("my/course/<int:pk>/", views.member_course_view, name="member_course"),
    path("my/study/<int:pk>/", views.study_view, name="study"),
    path("my/study/<int:pk>/beat/", views.beat_view, name="beat"),
    path("my/study/<int:pk>/file", views.media_view, name="media"),
    path("my/paper/<int:pk>/", views.paper_view, name="paper"),
    path("my/attempt/<int:pk>/", views.attempt_view, name="attempt"),
]
