from django.urls import path

from . import scorecard_views, views

urlpatterns = [
    path("units/<int:pk>/rules/", views.unit_rules, name="unit_rules"),
    path("units/<int:pk>/scorecards/", scorecard_views.unit_scorecards, name="unit_scorecards"),
    path("units/<int:pk>/scorecards/copy", scorecard_views.scorecard_copy, name="scorecard_copy"),
    path("scorecards/<int:pk>/", scorecard_views.scorecard_detail, name="scorecard_detail"),
]
