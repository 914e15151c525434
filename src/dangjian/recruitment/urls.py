from django.urls import path

from . import views

app_name = "recruitment"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("org/<int:pk>/", views.board_view, name="board"),
    path("org/<int:pk>/apply/", views.apply_view, name="apply"),
    path("holidays/", views.holidays_view, name="holidays"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/step/", views.step_view, name="step"),
    path("<int:pk>/notice/", views.notice_view, name="notice"),
    path("<int:pk>/close/", views.close_view, name="close"),
    path("<int:pk>/extend/", views.extend_view, name="extend"),
    path("<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("<int:pk>/exception/", views.exception_view, name="exception"),
    path("<int:pk>/files/<int:did>/", views.document_view, name="document"),
    path("<int:pk>/record.pdf", views.pdf_view, name="pdf"),
]
