from django.urls import path

from . import token_views

urlpatterns = [
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/new/", token_views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
