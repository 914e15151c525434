from django.urls import path

from . import views

app_name = "transfers"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("my/", views.my_view, name="my"),
    path("branches/", views.branches_view, name="branches"),
    path("keys/", views.keys_view, name="keys"),
    path("keys.json", views.published_keys_view, name="published_keys"),
    path("org/<int:pk>/", views.list_view, name="list"),
    path("org/<int:pk>/batch/", views.batch_view, name="batch"),
    path("org/<int:pk>/incoming/new/", views.incoming_new_view, name="incoming_new"),
    path("org/<int:pk>/receipt/", views.receipt_upload_view, name="receipt_upload"),
    path("org/<int:pk>/mobile/new/", views.mobile_new_view, name="mobile_new"),
    path("org/<int:pk>/lost/new/", views.lost_new_view, name="lost_new"),
    path("member/<int:member_pk>/start/", views.start_view, name="start"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/act/", views.act_view, name="act"),
    path("<int:pk>/letter.pdf", views.pdf_view, name="pdf"),
    path("<int:pk>/letter.dgl", views.token_view, name="token"),
    path("incoming/<int:pk>/", views.incoming_view, name="incoming"),
    path("incoming/<int:pk>/receipt.dgr", views.receipt_download_view, name="receipt"),
    path("mobile/<int:pk>/", views.mobile_view, name="mobile"),
    path("lost/<int:pk>/", views.lost_view, name="lost"),
]
