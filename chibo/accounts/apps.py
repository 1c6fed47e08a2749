from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chibo.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .two_factor import login_started

        user_logged_in.connect(login_started, dispatch_uid="chibo.two_factor.login_started")
