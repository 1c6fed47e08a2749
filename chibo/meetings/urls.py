from django.urls import path

from . import views

urlpatterns = [
    path("units/<int:pk>/meetings/", views.cell_meetings, name="cell_meetings"),
    path("units/<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/announce/", views.meeting_announce, name="meeting_announce"),
    path("meetings/<int:pk>/postpone/", views.meeting_postpone, name="meeting_postpone"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<int:pk>/start/", views.meeting_start, name="meeting_start"),
    path("meetings/<int:pk>/leave/", views.leave_create, name="leave_create"),
    path("meetings/<int:pk>/check-in/", views.meeting_check_in, name="meeting_check_in"),
    path("meetings/<int:pk>/leave/<int:request_pk>/", views.leave_decide, name="leave_decide"),
    path("meetings/<int:pk>/record/", views.meeting_record, name="meeting_record"),
    path("meetings/<int:pk>/record/field/<str:field>/", views.record_field, name="record_field"),
    path(
        "meetings/<int:pk>/record/sections/<int:section_pk>/speeches/",
        views.speech_add,
        name="speech_add",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/sections/<int:section_pk>/<str:field>/",
        views.section_field,
        name="section_field",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/attendance/<int:line_pk>/",
        views.attendance_mark,
        name="attendance_mark",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/attendance/all-present/",
        views.attendance_all_present,
        name="attendance_all_present",
    ),  # fmt: skip
    path("meetings/<int:pk>/record/guests/", views.guest_add, name="guest_add"),
    path(
        "meetings/<int:pk>/record/guests/<int:guest_pk>/remove/",
        views.guest_remove,
        name="guest_remove",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/speeches/<int:speech_pk>/",
        views.speech_update,
        name="speech_update",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/speeches/<int:speech_pk>/delete/",
        views.speech_delete,
        name="speech_delete",
    ),  # fmt: skip
    path("meetings/<int:pk>/record/votes/<str:subject>/", views.vote_record, name="vote_record"),
    path("meetings/<int:pk>/record/assignments/", views.assignment_add, name="assignment_add"),
    path(
        "meetings/<int:pk>/record/assignments/<int:assignment_pk>/",
        views.assignment_show,
        name="assignment_show",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/assignments/<int:assignment_pk>/edit/",
        views.assignment_edit,
        name="assignment_edit",
    ),  # fmt: skip
    path(
        "meetings/<int:pk>/record/assignments/<int:assignment_pk>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),  # fmt: skip
    path("meetings/<int:pk>/finalise/", views.meeting_finalise, name="meeting_finalise"),
    path("meetings/<int:pk>/addenda/", views.addendum_add, name="addendum_add"),
]
