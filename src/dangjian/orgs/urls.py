from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree_view, name="tree"),
    path("lookup/", views.lookup_view, name="lookup"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/children/", views.children_view, name="children"),
    path("<int:pk>/new/", views.create_view, name="create"),
    path("<int:pk>/edit/", views.edit_view, name="edit"),
    path("<int:pk>/move/", views.move_view, name="move"),
    path("<int:pk>/dissolve/", views.dissolve_view, name="dissolve"),
    path("<int:pk>/merge/", views.merge_view, name="merge"),
    path("<int:pk>/terms/new/", views.term_create_view, name="term_create"),
    path("<int:pk>/posts/new/", views.post_create_view, name="post_create"),
    path("<int:pk>/posts/<int:post_id>/end/", views.post_end_view, name="post_end"),
]
