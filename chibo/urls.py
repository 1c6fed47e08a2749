from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("chibo.org.urls")),
    path("accounts/", include("chibo.accounts.urls")),
    path("admin/", admin.site.urls),
]
