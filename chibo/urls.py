from django.contrib import admin
from django.urls import include, path

from chibo.api import api
from chibo.health import health

urlpatterns = [
    path("health", health, name="health"),
    path("", include("chibo.org.urls")),
    path("", include("chibo.org.import_urls")),
    path("", include("chibo.meetings.urls")),
    path("", include("chibo.meetings.export_urls")),
    path("", include("chibo.meetings.attachment_urls")),
    path("", include("chibo.meetings.template_urls")),
    path("", include("chibo.followup.urls")),
    path("", include("chibo.rulebooks.urls")),
    path("", include("chibo.quality.urls")),
    path("", include("chibo.reports.urls")),
    path("", include("chibo.home.urls")),
    path("", include("chibo.documents.urls")),
    path("", include("chibo.notify.urls")),
    path("", include("chibo.core.urls")),
    path("", include("chibo.followup.risk_urls")),
    path("accounts/", include("chibo.accounts.urls")),
    path("accounts/", include("chibo.accounts.token_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "chibo.core.errors.server_error"  # a busy database answers 503 "try again"
