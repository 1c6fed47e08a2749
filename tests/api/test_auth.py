"""API authentication: tokens (create, use, expire, revoke), session + CSRF, lock-out."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from chibo.accounts import tokens
from chibo.accounts.models import ApiToken, hash_token
from chibo.core.models import AuditEntry
from tests.conftest import PASSWORD

from .conftest import API, JSON, english

pytestmark = pytest.mark.django_db


def obtain(client, username, password=PASSWORD, **data):
    return english(client).post(
        f"{API}/auth/token", {"username": username, "password": password, **data}, **JSON
    )


def units_with(raw: str):
    return english(Client()).get(f"{API}/units", HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- the service -----------------------------------------------------------------------------
def test_token_create_stores_only_the_hash(world):
    user = world.users["officer_c1"]
    token, raw = tokens.token_create(user=user, name="  Báo cáo   tháng ", days=30)
    assert raw.startswith(tokens.KEY_PREFIX) and len(raw) > 40
    assert token.name == "Báo cáo tháng"
    assert token.key_hash == hash_token(raw) and token.prefix == raw[: tokens.PREFIX_LENGTH]
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in stored.values()
    delta = token.expires_at - timezone.now()
    assert datetime.timedelta(days=29, hours=23) < delta <= datetime.timedelta(days=30)
    entry = AuditEntry.objects.get(action="token.create", object_id=str(token.pk))
    assert entry.actor == user
    assert tokens.token_authenticate(raw) == user
    # Two keys are never alike.
    assert tokens.token_create(user=user, name="x", days=1)[1] != raw


@pytest.mark.parametrize(
    "name, days, field",
    [("", 30, "name"), ("   ", 30, "name"), ("x" * 101, 30, "name"),
     ("ok", 0, "days"), ("ok", 366, "days"), ("ok", -5, "days")],
)  # fmt: skip
def test_token_create_validation(world, name, days, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        tokens.token_create(user=world.users["member_a"], name=name, days=days)
    assert field in info.value.message_dict
    assert not ApiToken.objects.exists()


def test_token_create_limits_active_tokens(world):
    from django.core.exceptions import ValidationError

    user = world.users["member_a"]
    for i in range(tokens.MAX_ACTIVE_TOKENS):
        tokens.token_create(user=user, name=f"k{i}", days=1)
    with pytest.raises(ValidationError):
        tokens.token_create(user=user, name="one too many", days=1)
    tokens.token_revoke(token=user.api_tokens.first(), by=user)
    tokens.token_create(user=user, name="after revoking one", days=1)


def test_token_authenticate_rejects(world):
    user = world.users["secretary_a"]
    token, raw = tokens.token_create(user=user, name="k", days=1)
    assert tokens.token_authenticate(raw) == user
    for bad in ["", None, raw[:-1], raw + "x", "chibo_unknown", raw.upper(), "x" * 500]:
        assert tokens.token_authenticate(bad) is None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert tokens.token_authenticate(raw) is None  # expired
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + datetime.timedelta(1))
    assert tokens.token_authenticate(raw) == user
    user.is_active = False
    user.save()
    assert tokens.token_authenticate(raw) is None  # deactivated user
    user.is_active = True
    user.save()
    tokens.token_revoke(token=token, by=user)
    assert tokens.token_authenticate(raw) is None  # revoked


def test_token_revoke_is_audited_once(world):
    user = world.users["secretary_a"]
    token, _raw = tokens.token_create(user=user, name="k", days=1)
    tokens.token_revoke(token=token, by=user)
    tokens.token_revoke(token=token, by=user)
    assert AuditEntry.objects.filter(action="token.revoke", object_id=str(token.pk)).count() == 1


def test_last_used_is_written_at_most_once_a_minute(world):
    token, raw = tokens.token_create(user=world.users["officer_c1"], name="k", days=1)
    assert token.last_used_at is None
    assert units_with(raw).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    recent = timezone.now() - datetime.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert units_with(raw).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent  # not written again within the minute
    old = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    assert units_with(raw).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > old


# --- POST /auth/token ------------------------------------------------------------------------
def test_obtain_and_use_a_token(world):
    response = obtain(Client(), "officer_c1", name="Bảng tính", days=7)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Bảng tính" and body["is_usable"] is True
    assert body["key"].startswith(body["prefix"])
    # A password accepted here counts as a login.
    assert type(world.users["officer_c1"]).objects.get(username="officer_c1").last_login
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert datetime.timedelta(days=6) < expires - timezone.now() <= datetime.timedelta(days=7)
    used = units_with(body["key"])
    assert used.status_code == 200
    assert [u["code"] for u in used.json()] == ["C1"]
    # The key is never shown again.
    listed = Client().get(f"{API}/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {body['key']}")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()] == [body["id"]]
    assert "key" not in listed.json()[0]


def test_obtain_with_wrong_password(world):
    response = obtain(Client(), "officer_c1", password="sai mật khẩu")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong user name or password."}
    assert obtain(Client(), "nobody").status_code == 401
    assert not ApiToken.objects.exists()


def test_obtain_for_inactive_user(world):
    user = world.users["officer_c1"]
    user.is_active = False
    user.save()
    assert obtain(Client(), "officer_c1").status_code == 401


def test_obtain_validation(world):
    response = obtain(Client(), "officer_c1", days=400)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"days"}
    response = Client().post(f"{API}/auth/token", {"username": "officer_c1"}, **JSON)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"password"}


def test_lock_out_after_repeated_failures(world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    client = Client()
    statuses = [obtain(client, "secretary_a", password="sai").status_code for _ in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]
    # Now even the right password is refused, in JSON, through the API…
    locked = obtain(client, "secretary_a")
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    assert locked.json()["detail"]
    assert not ApiToken.objects.filter(user=world.users["secretary_a"]).exists()
    # …while another account is not affected.
    assert obtain(client, "secretary_b").status_code == 201


def test_successful_login_resets_failures(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert obtain(client, "secretary_a", password="sai").status_code == 401
    assert obtain(client, "secretary_a").status_code == 201
    assert obtain(client, "secretary_a", password="sai").status_code == 401


# --- bearer header and session ---------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer nonsense", "Basic b2ZmaWNlcjpwdw==", "Token chibo_abc"],
)
def test_bad_authorization_header_is_401(world, header):
    response = english(Client()).get(f"{API}/units", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required: log in or send an API key."}


def test_revoked_and_expired_tokens_are_401(world, bearer_for):
    user = world.users["officer_c1"]
    token, raw = tokens.token_create(user=user, name="k", days=1)
    assert units_with(raw).status_code == 200
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.delete(f"{API}/auth/tokens/{token.pk}").status_code == 204
    assert units_with(raw).status_code == 401
    assert AuditEntry.objects.filter(action="token.revoke", actor=user).count() == 1

    token, raw = tokens.token_create(user=user, name="k2", days=1)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert units_with(raw).status_code == 401


def test_delete_own_token_twice_is_harmless(world, client_as):
    token, _raw = tokens.token_create(user=world.users["member_a"], name="k", days=1)
    client = client_as("member_a")
    assert client.delete(f"{API}/auth/tokens/{token.pk}").status_code == 204
    assert client.delete(f"{API}/auth/tokens/{token.pk}").status_code == 204
    assert client.delete(f"{API}/auth/tokens/999999").status_code == 404


def test_session_writes_need_csrf_bearer_writes_do_not(world, bearer_for):
    url = f"{API}/members/{world.hoa.pk}"
    data = {"phone": "0987 654 321"}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["secretary_a"])
    assert browser.get(url).status_code == 200  # safe methods need no token
    refused = english(browser).patch(url, data, **JSON)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    assert browser.patch(url, data, HTTP_X_CSRFTOKEN=secret, **JSON).status_code == 200

    program = Client(enforce_csrf_checks=True, **bearer_for("secretary_a"))
    assert program.patch(url, {"phone": "0911 111 111"}, **JSON).status_code == 200
    # Anonymous without a CSRF token: 401, not a CSRF 403.
    assert Client(enforce_csrf_checks=True).patch(url, data, **JSON).status_code == 401


def test_bearer_wins_over_session(world, bearer_for):
    # A request carrying both acts as the key's owner.
    client = Client(**bearer_for("officer_c2"))
    client.force_login(world.users["officer_c1"])
    assert [u["code"] for u in client.get(f"{API}/units").json()] == ["C2"]


# --- documentation ---------------------------------------------------------------------------
def test_openapi_schema(world):
    schema = Client().get(f"{API}/openapi.json").json()
    assert schema["info"]["title"] == "chibo API"
    assert schema["info"]["version"] == "1"
    paths = set(schema["paths"])
    assert {
        "/api/v1/units", "/api/v1/units/{unit_id}", "/api/v1/units/{unit_id}/children",
        "/api/v1/members", "/api/v1/members/{member_id}", "/api/v1/auth/token",
        "/api/v1/auth/tokens", "/api/v1/auth/tokens/{token_id}",
    } <= paths  # fmt: skip
    schemes = schema["components"]["securitySchemes"]
    assert {"scheme": "bearer", "type": "http"}.items() <= schemes["BearerAuth"].items()
    assert schema["paths"]["/api/v1/auth/token"]["post"].get("security") in (None, [])
