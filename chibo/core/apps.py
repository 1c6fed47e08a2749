from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chibo.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="chibo.core.session_started")
