from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chibo.accounts"
    label = "accounts"
    verbose_name = "Accounts"
