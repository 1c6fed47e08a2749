from django.urls import path

from . import views

urlpatterns = [
    path("units/<int:pk>/rules/", views.unit_rules, name="unit_rules"),
]
