from django.urls import path

from . import views

urlpatterns = [
    path("units/<int:pk>/dashboard/", views.unit_dashboard, name="unit_dashboard"),
    path("units/<int:pk>/dashboard.xlsx", views.unit_dashboard_xlsx, name="unit_dashboard_xlsx"),
    path("units/<int:pk>/report.docx", views.unit_report_docx, name="unit_report_docx"),
    path("units/<int:pk>/compliance/", views.unit_compliance, name="unit_compliance"),
]
