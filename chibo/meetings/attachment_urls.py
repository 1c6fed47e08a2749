"""/meetings/<pk>/attachments/ — the files of a meeting (list, upload, download, removal)."""

from django.urls import path

from . import attachment_views

urlpatterns = [
    path("meetings/<int:pk>/attachments/", attachment_views.attachments, name="attachments"),
    path(
        "meetings/<int:pk>/attachments/<int:attachment_pk>/download/",
        attachment_views.attachment_download,
        name="attachment_download",
    ),
    path(
        "meetings/<int:pk>/attachments/<int:attachment_pk>/remove/",
        attachment_views.attachment_remove,
        name="attachment_remove",
    ),
]
