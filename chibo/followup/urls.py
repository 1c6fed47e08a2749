from django.urls import path, re_path

from . import views

urlpatterns = [
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("units/<int:pk>/tasks/", views.cell_tasks, name="cell_tasks"),
    path("meetings/<int:pk>/task-reviews/", views.meeting_task_reviews,
         name="meeting_task_reviews"),
    path("meetings/<int:pk>/task-reviews/<int:task_pk>/", views.meeting_task_review_save,
         name="meeting_task_review_save"),
    path("units/<int:pk>/upper-attendance/", views.upper_attendance, name="upper_attendance"),
    path("units/<int:pk>/upper-attendance/<int:grant_pk>/end/", views.upper_attendance_end,
         name="upper_attendance_end"),
    path("attending/", views.attending, name="attending"),
    path("reminders/", views.reminders, name="reminders"),
    path("units/<int:pk>/proposals/", views.unit_proposals, name="unit_proposals"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("units/<int:pk>/inspections/", views.unit_inspections, name="unit_inspections"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    re_path(r"^inspections/(?P<pk>[0-9]+)/notice\.(?P<fmt>docx|pdf)$", views.inspection_notice,
            name="inspection_notice"),
]  # fmt: skip
