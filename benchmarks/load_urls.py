"""URLconf for `bench_load.py` only: chibo's URLs plus `/bench/trivial`, a view that does no
work, answered through the same middleware as every page (the ceiling of the load benchmark)."""

from django.http import HttpResponse
from django.urls import include, path

import chibo.urls


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial", trivial),
    path("", include("chibo.urls")),
]

# Error handlers are read from the root URLconf: keep chibo's (a busy database answers 503).
handler400 = getattr(chibo.urls, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(chibo.urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(chibo.urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(chibo.urls, "handler500", "django.views.defaults.server_error")
