from django.urls import path

from . import views

app_name = "villages"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.summary_view, name="summary"),
    path("org/<int:pk>/villages/", views.list_view, name="list"),
    path("org/<int:pk>/rounds/", views.rounds_view, name="rounds"),
    path("org/<int:pk>/plots/", views.plots_view, name="plots"),
    path("org/<int:pk>/joint/", views.joint_view, name="joint"),
    path("org/<int:pk>/town-income/", views.town_income_view, name="town_income"),
    path("village/<int:pk>/", views.village_view, name="village"),
    path("village/<int:pk>/edit/", views.village_edit_view, name="village_edit"),
    path("village/<int:pk>/income/", views.income_view, name="income"),
    path("village/<int:pk>/resident/", views.resident_view, name="resident_new"),
    path("village/<int:pk>/resident/<int:resident>/", views.resident_view, name="resident"),
    path("village/<int:pk>/project/", views.project_view, name="project_new"),
    path("village/<int:pk>/project/<int:project>/", views.project_view, name="project"),
    path("village/<int:pk>/plot/", views.plot_new_view, name="plot_new"),
    path("round/<int:pk>/", views.round_view, name="round"),
    path("round/<int:pk>/area/", views.area_view, name="area_new"),
    path("round/<int:pk>/area/<int:area>/", views.area_view, name="area"),
    path("plot/<int:pk>/", views.plot_view, name="plot"),
    path("plot/<int:pk>/adopt/", views.adopt_view, name="adopt"),
    path("adoption/<int:pk>/activity/", views.activity_view, name="activity"),
    path("photo/<int:pk>/", views.photo_view, name="photo"),
    path("my/", views.my_view, name="my"),
]
