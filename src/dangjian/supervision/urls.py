from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.create_view, name="create"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/assignments/<int:assignment_id>/", views.act_view, name="act"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment_view, name="attachment"),
]
