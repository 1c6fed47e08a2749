"""The API keys page: list, create (key shown once), revoke — one's own keys only."""

import pytest
from django.test import Client
from django.urls import reverse

from chibo.accounts.models import ApiToken
from chibo.accounts.tokens import token_authenticate, token_create
from tests.conftest import check_matrix

pytestmark = pytest.mark.django_db
ALL = ["member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"]


def row(allowed, ok, denied=404, anonymous=302):
    return {role: ok if role in allowed else denied for role in ALL} | {"anonymous": anonymous}


def test_list_matrix(world, client_as):
    responses = check_matrix(client_as, reverse("token_list"), row(ALL, 200))
    assert responses["anonymous"]["Location"].startswith(reverse("login"))


def test_create_matrix(world, client_as):
    responses = check_matrix(
        client_as, reverse("token_create"), row(ALL, 302), method="post",
        data={"name": "Bảng tính", "days": "30"},
    )  # fmt: skip
    assert responses["anonymous"]["Location"].startswith(reverse("login"))
    assert responses["admin_p"]["Location"] == reverse("token_list")
    owners = sorted(ApiToken.objects.values_list("user__username", flat=True))
    assert owners == sorted(ALL)


def test_revoke_matrix(world, client_as):
    # Somebody else's key answers 404, exactly like a key that does not exist.
    token, raw = token_create(user=world.users["officer_c1"], name="script", days=10)
    url = reverse("token_revoke", args=[token.pk])
    check_matrix(client_as, url, row({"officer_c1"}, 302), method="post", data={})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(raw) is None
    missing = reverse("token_revoke", args=[999999])
    check_matrix(client_as, missing, row(set(), 302), method="post", data={})


@pytest.mark.parametrize("name", ["token_create", "token_revoke"])
def test_changes_only_by_post(world, client_as, name):
    token, _raw = token_create(user=world.users["member_a"], name="k", days=1)
    url = reverse(name, args=[token.pk] if name == "token_revoke" else [])
    assert client_as("member_a").get(url).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_key_is_shown_once(world, client_as):
    client = client_as("secretary_a")
    response = client.post(reverse("token_create"), {"name": "Sổ tay", "days": "7"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.users["secretary_a"])
    page = response.content.decode()
    start = page.index('id="new-key-value" value="') + len('id="new-key-value" value="')
    raw = page[start : page.index('"', start)]
    assert raw.startswith(token.prefix)
    assert token_authenticate(raw) == world.users["secretary_a"]
    assert "Sổ tay" in page
    # The next visit lists the key, but never shows it again.
    again = client.get(reverse("token_list")).content.decode()
    assert token.prefix in again
    assert raw not in again
    assert "new-key-value" not in again
    # The raw key is kept nowhere once shown.
    assert raw not in str(client.session.items())


def test_list_shows_only_own_keys(world, client_as):
    token_create(user=world.users["officer_c1"], name="Khóa của cán bộ C1", days=5)
    mine, _raw = token_create(user=world.users["officer_c2"], name="Khóa của cán bộ C2", days=5)
    revoked, _raw = token_create(user=world.users["officer_c2"], name="Khóa cũ", days=5)
    client = client_as("officer_c2")
    client.post(reverse("token_revoke", args=[revoked.pk]))
    page = client.get(reverse("token_list"))
    assert [t.pk for t in page.context["tokens"]] == [revoked.pk, mine.pk]
    html = page.content.decode()
    assert "Khóa của cán bộ C2" in html and "Khóa cũ" in html
    assert "Khóa của cán bộ C1" not in html
    # Only the usable key has a revoke button.
    assert reverse("token_revoke", args=[mine.pk]) in html
    assert reverse("token_revoke", args=[revoked.pk]) not in html


@pytest.mark.parametrize(
    "data, field",
    [({"name": "", "days": "30"}, "name"), ({"name": "x", "days": "0"}, "days"),
     ({"name": "x", "days": "366"}, "days"), ({"name": "x", "days": "abc"}, "days"),
     ({"name": "   ", "days": "30"}, "name")],
)  # fmt: skip
def test_create_validation(world, client_as, data, field):
    response = client_as("member_a").post(reverse("token_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert "is-invalid" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_needs_csrf(world):
    token, _raw = token_create(user=world.users["member_a"], name="k", days=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["member_a"])
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
