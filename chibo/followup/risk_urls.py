from django.urls import path

from . import risk_views

urlpatterns = [
    path("units/<int:pk>/members-at-risk/", risk_views.members_at_risk, name="members_at_risk"),
    path("members/<int:pk>/absences/", risk_views.member_absences, name="member_absences"),
]
