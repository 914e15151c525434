from django.urls import path

from . import setup_views, views

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
    path("<int:pk>/units/", setup_views.units_view, name="units"),
    path("<int:pk>/units/new/", setup_views.unit_create_view, name="unit_create"),
    path("<int:pk>/units/<int:unit_id>/edit/", setup_views.unit_edit_view, name="unit_edit"),
    path("<int:pk>/requests/new/", setup_views.request_create_view, name="request_create"),
    path(
        "<int:pk>/requests/<int:request_id>/answer/",
        setup_views.request_answer_view,
        name="request_answer",
    ),
    path("<int:pk>/joint/", setup_views.set_joint_view, name="set_joint"),
    path("<int:pk>/elections/", setup_views.elections_view, name="elections"),
    path("<int:pk>/elections/request/", setup_views.election_request_view, name="election_request"),
    path("<int:pk>/elections/result/", setup_views.election_result_view, name="election_result"),
    path(
        "<int:pk>/elections/<int:election_id>/report/",
        setup_views.election_report_view,
        name="election_report",
    ),
    path("<int:pk>/terms/<int:term_id>/extend/", setup_views.term_extend_view, name="term_extend"),
]
