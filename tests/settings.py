"""Test settings: the real settings, with plain HTTP and a fast password hasher."""

import os

os.environ.setdefault("CHIBO_HTTPS", "0")

from chibo.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Two-factor login is switched on by the tests that are about it (tests/accounts/test_two_factor.py).
CHIBO_TWO_FACTOR_ROLES = []
