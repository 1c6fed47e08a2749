from django.apps import AppConfig


class RulebooksConfig(AppConfig):
    name = "chibo.rulebooks"
    label = "rulebooks"
    verbose_name = "Rulebooks"
