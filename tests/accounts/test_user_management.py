"""Officers create accounts and give roles inside their subtree; everything is audited."""

from django.urls import reverse

from chibo.accounts.models import Grant, User
from chibo.core.models import AuditEntry

from ..conftest import check_matrix

OK, FORBIDDEN, MISSING, LOGIN = 200, 403, 404, 302
MANAGERS_ONLY = dict(member_a=FORBIDDEN, secretary_a=FORBIDDEN, secretary_b=FORBIDDEN, officer_c1=OK,
                     officer_c2=OK, admin_p=OK, anonymous=LOGIN)  # fmt: skip


def test_user_pages_matrix(world, client_as):
    check_matrix(client_as, reverse("user_list"), MANAGERS_ONLY)
    check_matrix(client_as, reverse("user_create"), MANAGERS_ONLY)
    # secretary_a holds a grant on cell A (under C1): officer_c2 must not see the account.
    check_matrix(client_as, reverse("user_detail", args=[world.users["secretary_a"].pk]),
                 MANAGERS_ONLY | {"officer_c2": MISSING})  # fmt: skip
    check_matrix(client_as, reverse("user_create") + f"?member={world.hoa.pk}",
                 MANAGERS_ONLY | {"officer_c2": MISSING})  # fmt: skip


def test_grant_revoke_matrix(world, client_as):
    grant = Grant.objects.get(user=world.users["secretary_b"])
    expected = dict(member_a=FORBIDDEN, secretary_a=FORBIDDEN, secretary_b=FORBIDDEN, officer_c1=302,
                    officer_c2=MISSING, admin_p=302, anonymous=LOGIN)  # fmt: skip
    # POST as each role in turn; revoking twice is harmless, so order does not matter.
    check_matrix(
        client_as, reverse("grant_revoke", args=[grant.pk]), expected, method="post", data={}
    )
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert AuditEntry.objects.filter(action="grant.revoke", object_id=str(grant.pk)).count() == 1


def test_officer_lists_only_accounts_of_own_subtree(world, client_as):
    html = client_as("officer_c1").get(reverse("user_list")).content.decode()
    assert "secretary_a" in html and "secretary_b" in html
    assert "officer_c2" not in html and "admin_p" not in html


def test_officer_creates_account_for_a_member(world, client_as):
    client = client_as("officer_c1")
    response = client.post(reverse("user_create"), {
        "member": world.son.pk, "username": "son.le", "full_name": "Lê Văn Sơn", "email": "",
        "password": "Một-mật-khẩu-dài-2026", "role": "clerk", "unit": "C1-A",
    })  # fmt: skip
    assert response.status_code == 302
    user = User.objects.get(username="son.le")
    assert user.member == world.son and user.check_password("Một-mật-khẩu-dài-2026")
    assert list(user.grants.values_list("role", "unit__code")) == [("clerk", "C1-A")]
    assert AuditEntry.objects.filter(action__in=["user.create", "grant.create"]).count() == 2


def test_officer_cannot_grant_outside_subtree_or_above_own_role(world, client_as):
    client = client_as("officer_c1")
    base = {"username": "x.y", "full_name": "", "email": "", "password": "Một-mật-khẩu-dài-2026"}
    response = client.post(reverse("user_create"), base | {"role": "secretary", "unit": "C2-D"})
    assert response.status_code == 200 and "C2-D" in response.content.decode()
    response = client.post(reverse("user_create"), base | {"role": "officer", "unit": "C1"})
    assert response.status_code == 200
    assert not User.objects.filter(username="x.y").exists()  # all or nothing


def test_weak_password_is_refused_with_a_message(world, client_as):
    response = client_as("admin_p").post(reverse("user_create"), {
        "username": "moi", "full_name": "", "email": "", "password": "123", "role": "member", "unit": "C1-A",
    })  # fmt: skip
    assert response.status_code == 200
    assert not User.objects.filter(username="moi").exists()


def test_grant_gives_access_and_revoke_takes_it_away(world, client_as):
    admin = client_as("admin_p")
    user = world.users["officer_c2"]
    response = admin.post(
        reverse("user_detail", args=[user.pk]), {"grant-role": "attendee", "grant-unit": "C1-A"}
    )
    assert response.status_code == 302
    client = client_as("officer_c2")
    assert client.get(reverse("unit_detail", args=[world.a.pk])).status_code == 200
    grant = Grant.objects.get(user=user, role="attendee")
    admin.post(reverse("grant_revoke", args=[grant.pk]))
    assert client_as("officer_c2").get(reverse("unit_detail", args=[world.a.pk])).status_code == 404


def test_a_member_gets_one_account_only(world, client_as):
    response = client_as("officer_c1").post(reverse("user_create"), {
        "member": world.ung.pk, "username": "ung2", "full_name": "", "email": "",
        "password": "Một-mật-khẩu-dài-2026", "role": "member", "unit": "C1-A",
    })  # fmt: skip
    assert response.status_code == 200
    assert not User.objects.filter(username="ung2").exists()
