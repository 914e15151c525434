from django.urls import path

from . import views, views_opinions

app_name = "assistant"

urlpatterns = [
    path("", views.ask_view, name="ask"),
    path("p/<int:pk>/", views.piece_view, name="piece"),
    path("documents/", views.documents_view, name="documents"),
    path("transcribe/", views.transcribe_view, name="transcribe"),
    path("speak/", views.speak_view, name="speak"),
]

urlpatterns += [
    path("opinions/", views_opinions.opinions_view, name="opinions"),
    path("opinions/<int:pk>/", views_opinions.opinion_view, name="opinion"),
    path(
        "opinions/<int:pk>/photos/<int:photo>/",
        views_opinions.opinion_photo_view,
        name="opinion_photo",
    ),
    path("opinions/mine/", views_opinions.my_opinions_view, name="my_opinions"),
    path("opinions/mine/<int:pk>/", views_opinions.my_opinion_view, name="my_opinion"),
    path("opinions/new/", views_opinions.opinion_new_view, name="opinion_new"),
]
