from django.urls import path

from . import views

urlpatterns = [
    path("units/<int:pk>/audit/", views.unit_audit, name="unit_audit"),
    path("units/<int:pk>/audit.xlsx", views.unit_audit_xlsx, name="unit_audit_xlsx"),
]
