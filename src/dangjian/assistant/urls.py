from django.urls import path

from . import views

app_name = "assistant"

urlpatterns = [
    path("", views.ask_view, name="ask"),
    path("p/<int:pk>/", views.piece_view, name="piece"),
    path("documents/", views.documents_view, name="documents"),
]
