from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read-all", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/choices/", views.notification_choices, name="notification_choices"),
]
