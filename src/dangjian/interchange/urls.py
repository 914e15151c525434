from django.urls import path

from . import views

app_name = "interchange"

urlpatterns = [
    path("<slug:kind>/", views.upload_view, name="upload"),
    path("<slug:kind>/template.xlsx", views.template_view, name="template"),
]
