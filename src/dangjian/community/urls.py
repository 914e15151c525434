from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.places_view, name="places"),
    path("org/<int:pk>/new/", views.place_new_view, name="place_new"),
    path("org/<int:pk>/reports/", views.reports_view, name="reports"),
    path("org/<int:pk>/needs/", views.needs_view, name="needs"),
    path("org/<int:pk>/issues/", views.issues_view, name="issues"),
    path("org/<int:pk>/unit/", views.unit_view, name="unit"),
    path("org/<int:pk>/cards/", views.cards_view, name="cards"),
    path("org/<int:pk>/units/", views.units_view, name="units"),
    path("org/<int:pk>/appraisals/", views.appraisals_view, name="appraisals"),
    path("org/<int:pk>/alliances/", views.alliances_view, name="alliances"),
    path("alliance/<int:pk>/", views.alliance_view, name="alliance"),
    path("org/<int:pk>/figures/", views.figures_view, name="figures"),
    path("communities/lookup/", views.community_lookup_view, name="community_lookup"),
    path("org/<int:pk>/teams/", views.teams_view, name="teams"),
    path("team/<int:pk>/", views.team_view, name="team"),
    path("place/<int:pk>/", views.place_view, name="place"),
    path("places/lookup/", views.place_lookup_view, name="place_lookup"),
    path("issue/<int:pk>/", views.issue_view, name="issue"),
    path("photo/<int:pk>/", views.photo_view, name="photo"),
    path("my/", views.my_view, name="my"),
    path("member/<int:pk>/residence/", views.residence_view, name="residence"),
    path("my/issue/", views.my_issue_new_view, name="my_issue_new"),
]
