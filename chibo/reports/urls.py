from django.urls import path

from . import views

urlpatterns = [
    path("units/<int:pk>/dashboard/", views.unit_dashboard, name="unit_dashboard"),
    path("units/<int:pk>/compliance/", views.unit_compliance, name="unit_compliance"),
]
