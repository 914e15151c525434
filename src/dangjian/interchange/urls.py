from django.urls import path

from . import views

app_name = "interchange"

urlpatterns = [
    path("import/<slug:kind>/", views.upload_view, name="upload"),
    path("import/<slug:kind>/template.xlsx", views.template_view, name="template"),
    path("import/jobs/<int:pk>/", views.import_job_view, name="import_job"),
    path("export/<slug:name>.xlsx", views.export_view, name="export"),
    path("export/<slug:name>/print/", views.print_view, name="print"),
    path("export/jobs/<int:pk>/", views.export_job_view, name="export_job"),
    path("export/jobs/<int:pk>/download/", views.export_download_view, name="export_download"),
]
