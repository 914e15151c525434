from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("<int:pk>/read/", views.read_view, name="read"),
    path("notices/<int:pk>/", views.notice_open_view, name="notice"),
    path("settings/", views.settings_view, name="settings"),
    path("deliveries/", views.deliveries_view, name="deliveries"),
]
