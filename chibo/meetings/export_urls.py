"""/meetings/<pk>/export/<minutes|resolution>.<docx|pdf>"""

from django.urls import re_path

from . import export_views

urlpatterns = [
    re_path(
        r"^meetings/(?P<pk>[0-9]+)/export/(?P<document>minutes|resolution)\.(?P<fmt>docx|pdf)$",
        export_views.meeting_export,
        name="meeting_export",
    ),
]
