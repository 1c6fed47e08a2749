from django.urls import path

from . import views

urlpatterns = [
    path("meetings/<int:pk>/score/", views.meeting_score, name="meeting_score"),
    path("meetings/<int:pk>/score/scorer", views.score_assign, name="score_assign"),
    path("meetings/<int:pk>/score/judge", views.score_judge, name="score_judge"),
    path("meetings/<int:pk>/score/adjust", views.score_adjust, name="score_adjust"),
]
