"""/minutes-templates/… (minutes templates and their sections) and the Word templates of a unit
(/units/<pk>/word-templates/, /word-templates/…)."""

from django.urls import path, re_path

from . import template_views as views

urlpatterns = [
    path("minutes-templates/", views.template_list, name="minutes_template_list"),
    path("minutes-templates/<int:pk>/", views.template_detail, name="minutes_template_detail"),
    path("minutes-templates/<int:pk>/copy/", views.template_copy, name="minutes_template_copy"),
    path(
        "minutes-templates/<int:pk>/sections/",
        views.section_add,
        name="minutes_template_section_add",
    ),
    path(
        "minutes-templates/<int:pk>/sections/<int:section_pk>/",
        views.section_edit,
        name="minutes_template_section_edit",
    ),
    path(
        "minutes-templates/<int:pk>/sections/<int:section_pk>/move/",
        views.section_move,
        name="minutes_template_section_move",
    ),
    path(
        "minutes-templates/<int:pk>/sections/<int:section_pk>/delete/",
        views.section_delete,
        name="minutes_template_section_delete",
    ),
    path("units/<int:pk>/word-templates/", views.word_templates, name="word_templates"),
    path(
        "word-templates/<int:pk>/download/",
        views.word_template_download,
        name="word_template_download",
    ),
    path(
        "word-templates/<int:pk>/deactivate/",
        views.word_template_deactivate,
        name="word_template_deactivate",
    ),
    re_path(
        r"^word-templates/shipped/(?P<document>minutes|resolution)\.docx$",
        views.shipped_word_template_download,
        name="shipped_word_template_download",
    ),
]
