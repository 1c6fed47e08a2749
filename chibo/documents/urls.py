from django.urls import path

from . import views

urlpatterns = [
    path("documents/", views.document_list, name="document_list"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/file", views.document_file, name="document_file"),
    path("units/<int:pk>/documents/new", views.document_publish, name="document_publish"),
    path("meetings/<int:pk>/documents/new", views.meeting_document_add, name="meeting_document_add"),
    path("meetings/<int:pk>/drafts/", views.meeting_drafts, name="meeting_drafts"),
    path("comments/<int:pk>/decision", views.comment_decide, name="comment_decide"),
]
