from django.urls import path

from . import import_views

urlpatterns = [
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<uuid:job_id>/", import_views.import_status, name="import_status"),
    path("import/<uuid:job_id>/errors.xlsx", import_views.import_report, name="import_report"),
    path("members/export.xlsx", import_views.member_export, name="member_export"),
]
