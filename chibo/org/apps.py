from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "chibo.org"
    label = "org"
    verbose_name = "Org"
