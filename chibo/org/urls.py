from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/lookup/", views.unit_lookup, name="unit_lookup"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/move/", views.unit_move, name="unit_move"),
    path("units/<int:pk>/merge/", views.unit_merge, name="unit_merge"),
    path("units/<int:pk>/dissolve/", views.unit_dissolve, name="unit_dissolve"),
    path("units/<int:cell_pk>/members/new/", views.member_create, name="member_create"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/exemption/", views.member_exemption, name="member_exemption"),
    path("members/<int:pk>/attachment/", views.member_attachment, name="member_attachment"),
    path("members/<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:pk>/departure/", views.member_departure, name="member_departure"),
]
