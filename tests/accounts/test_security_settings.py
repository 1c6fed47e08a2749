"""Login protections: lock-out after failed logins, expiry after inactivity, password rules.
(The production headers and cookies are checked in tests/ops/test_production.py.)"""

import datetime

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from chibo.core.middleware import SessionRefreshMiddleware

from ..conftest import PASSWORD

LOGIN = "/accounts/login/"


def test_login_form_locks_out_after_repeated_failures(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(LOGIN, {"username": "secretary_a", "password": "sai-mat-khau"})
        assert response.status_code == 200
        assert "Sai tên đăng nhập hoặc mật khẩu" in response.content.decode()
    locked = client.post(LOGIN, {"username": "secretary_a", "password": "sai-mat-khau"})
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.content.decode()
    # The right password no longer helps for a while…
    again = client.post(LOGIN, {"username": "secretary_a", "password": PASSWORD})
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    # …while another account from the same address logs in.
    assert client.post(LOGIN, {"username": "secretary_b", "password": PASSWORD}).status_code == 302


def test_the_session_ends_after_inactivity_not_after_login(world, settings):
    client = Client()
    assert client.post(LOGIN, {"username": "member_a", "password": PASSWORD}).status_code == 302
    key = client.session.session_key
    # A request moves the end forward by the whole age (8 hours by default), at most every
    # 5 minutes so that reading pages does not write the session each time…
    assert client.get("/me/").status_code == 200
    soon = timezone.now() + datetime.timedelta(minutes=1)
    Session.objects.filter(pk=key).update(expire_date=soon)
    assert client.get("/me/").status_code == 200
    assert Session.objects.get(pk=key).expire_date == soon  # renewed less than 5 minutes ago
    session = client.session
    session[SessionRefreshMiddleware.KEY] -= SessionRefreshMiddleware.REFRESH_SECONDS  # 5 min later
    session.save()
    Session.objects.filter(pk=key).update(expire_date=soon)
    assert client.get("/me/").status_code == 200
    expires = Session.objects.get(pk=key).expire_date
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert expires > timezone.now() + age - datetime.timedelta(minutes=1)
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    # …and a session left idle past its end is over: back to the login page.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_password_rules_refuse_weak_passwords_with_reasons(world):
    client = Client()
    client.force_login(world.users["member_a"])
    cases = {
        "ngan123": "quá ngắn",  # fewer than 10 characters
        "1234567890": "toàn chữ số",
        "password123": "quá phổ biến",
        "member_a2026": "quá giống",  # like the user name
    }
    for weak, reason in cases.items():
        response = client.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": weak, "new_password2": weak,
        })  # fmt: skip
        assert response.status_code == 200, weak
        assert reason in response.content.decode(), (weak, reason)
    strong = "Chi-bo-thon-Ap-Dong-2026"
    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": strong, "new_password2": strong,
    })  # fmt: skip
    assert response.status_code == 302
    world.users["member_a"].refresh_from_db()
    assert world.users["member_a"].check_password(strong)


def test_lock_out_counts_the_client_behind_the_proxy_not_the_proxy(world, settings):
    """nginx passes the client's address in X-Real-IP; only a trusted proxy is believed."""
    settings.CHIBO_TRUSTED_PROXIES = ["127.0.0.1"]

    def attempt(client_address, password="sai-mat-khau", remote="127.0.0.1"):
        return Client(REMOTE_ADDR=remote, HTTP_X_REAL_IP=client_address).post(
            LOGIN, {"username": "secretary_a", "password": password}
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("203.0.113.7")
    assert attempt("203.0.113.7", PASSWORD).status_code == 429  # the attacker is locked out…
    assert attempt("198.51.100.20", PASSWORD).status_code == 302  # …the secretary is not
    # From an address that is not a trusted proxy, the header is ignored: a client cannot
    # escape the lock-out by writing another address into it.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("192.0.2.1", remote="192.0.2.99")
    assert attempt("192.0.2.2", PASSWORD, remote="192.0.2.99").status_code == 429
