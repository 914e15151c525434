from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("new/", views.create_view, name="create"),
    path("lookup/", views.lookup_view, name="lookup"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/status/", views.status_view, name="status"),
    path("<int:pk>/unmask/<str:field>/", views.unmask_view, name="unmask"),
    path(
        "<int:pk>/corrections/<int:correction_pk>/decide/",
        views.correction_decide_view,
        name="correction_decide",
    ),
]
