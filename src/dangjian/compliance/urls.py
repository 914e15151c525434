from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("scan/<int:pk>/", views.scan_start_view, name="scan_start"),
    path("runs/<int:pk>/", views.run_view, name="run"),
    path("rules/", views.rules_view, name="rules"),
]
