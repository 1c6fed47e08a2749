from django.urls import path

from . import import_views

urlpatterns = [
    path("import/", import_views.import_upload, name="import_upload"),
]
