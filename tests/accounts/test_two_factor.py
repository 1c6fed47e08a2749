"""Two-factor login (TOTP): required for officers and admins, optional for everyone else.

Codes are computed here the way an authenticator app does (django_otp.oath.TOTP on the
device's key). A code is accepted once only, so a test that logs in twice moves the device's
last accepted time step back, as the passing of 30 seconds would.
"""

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from chibo.accounts.models import ApiToken, Grant
from chibo.core.models import AuditEntry

from ..conftest import PASSWORD, ROLES, check_matrix
from ..factories import make_user

API = "/api/v1"
SETUP = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/code/"


@pytest.fixture(autouse=True)
def required_for_officers(settings):
    settings.CHIBO_TWO_FACTOR_ROLES = ["officer", "admin"]


def code_of(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():06d}"


def next_window(device: TOTPDevice) -> None:
    """As if 30 seconds had passed since the last accepted code."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)  # fmt: skip
    device.refresh_from_db()


def login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def set_up(client: Client, user) -> TOTPDevice:
    assert client.post(SETUP, {"action": "start"}).status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(SETUP, {"action": "confirm", "code": code_of(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_an_officer_must_set_up_the_app_before_anything_else(world):
    officer = world.users["officer_c1"]
    client = login("officer_c1")
    # Every page leads to the set-up, keeping where the officer wanted to go…
    response = client.get(f"/units/{world.c1.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Funits%2F{world.c1.pk}%2F"
    # …and the API, on the same session, answers in JSON.
    response = client.get(f"{API}/units")
    assert response.status_code == 403 and "hai lớp" in response.json()["detail"]
    page = client.get(SETUP).content.decode()
    assert "bắt buộc đăng nhập hai lớp" in page
    assert 'id="mainnav"' not in page  # no menu whose links would all lead back here

    assert client.post(SETUP, {"action": "start"}).status_code == 302
    page = client.get(SETUP).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, allowed by the CSP as an image
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert secret.replace(" ", "") == base64.b32encode(device.bin_key).decode().rstrip("=")

    wrong = client.post(SETUP, {"action": "confirm", "code": code_of(device, steps_ahead=10)})
    assert wrong.status_code == 422 and "Mã không đúng" in wrong.content.decode()
    not_digits = client.post(SETUP, {"action": "confirm", "code": "abc"})
    assert not_digits.status_code == 422 and "6 chữ số" in not_digits.content.decode()

    response = client.post(SETUP, {"action": "confirm", "code": code_of(device),
                                   "next": f"/units/{world.c1.pk}/"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/units/{world.c1.pk}/"
    assert client.get(f"/units/{world.c1.pk}/").status_code == 200
    assert client.get(f"{API}/units").status_code == 200
    assert 'id="mainnav"' in client.get(SETUP).content.decode()  # verified: the menu is back
    assert AuditEntry.objects.filter(action="two_factor.enable", actor=officer).count() == 1


def test_each_login_then_asks_for_a_code_used_once(world):
    officer = world.users["officer_c1"]
    device = set_up(login("officer_c1"), officer)

    next_window(device)
    client = login("officer_c1")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.get(f"{API}/units").status_code == 403
    code = code_of(device)
    assert client.post(VERIFY, {"code": "12 34"}).status_code == 422
    next_window(device)  # undo the throttling of the wrong code
    response = client.post(VERIFY, {"code": " ".join([code[:3], code[3:]])})  # spaces are fine
    assert response.status_code == 302
    assert client.get(f"/units/{world.c1.pk}/").status_code == 200

    # The same code does not open a second session.
    other = login("officer_c1")
    replay = other.post(VERIFY, {"code": code})
    assert replay.status_code == 422
    assert other.get(f"/units/{world.c1.pk}/")["Location"].startswith(VERIFY)


def test_wrong_codes_slow_the_next_tries_down(world):
    device = set_up(login("admin_p"), world.users["admin_p"])
    next_window(device)
    client = login("admin_p")
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    assert "Mã không đúng" in client.post(VERIFY, {"code": wrong}).content.decode()
    # Right after a failure even the right code is refused for a moment, with a message.
    response = client.post(VERIFY, {"code": code_of(device)})
    assert response.status_code == 422 and "Nhập sai quá nhiều lần" in response.content.decode()


def test_members_may_turn_it_on_and_off(world):
    member = world.users["member_a"]
    client = login("member_a")
    assert client.get("/me/").status_code == 200  # not required for a member
    device = set_up(client, member)

    next_window(device)
    client = login("member_a")
    assert client.get("/me/")["Location"].startswith(VERIFY)  # on, so asked for
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    next_window(device)
    assert client.post(SETUP, {"action": "off", "code": code_of(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert login("member_a").get("/me/").status_code == 200
    assert AuditEntry.objects.filter(action="two_factor.disable", actor=member).count() == 1


def test_officers_cannot_turn_it_off(world):
    officer = world.users["officer_c1"]
    client = login("officer_c1")
    device = set_up(client, officer)
    next_window(device)
    response = client.post(SETUP, {"action": "off", "code": code_of(device)})
    assert response.status_code == 422 and "không tắt được" in response.content.decode()
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_a_grant_given_during_a_session_asks_for_the_app_at_once(world):
    client = login("secretary_a")
    assert client.get("/me/").status_code == 200
    Grant.objects.create(user=world.users["secretary_a"], role="officer", unit=world.c1)
    assert client.get("/me/")["Location"].startswith(SETUP)


def test_switched_off_for_a_local_demo(world, settings):
    settings.CHIBO_TWO_FACTOR_ROLES = []
    assert login("officer_c1").get(f"/units/{world.c1.pk}/").status_code == 200


def test_an_api_key_needs_the_code_too(world):
    def obtain(username, **extra):
        return Client().post(f"{API}/auth/token", {"username": username, "password": PASSWORD,
                                                    **extra}, content_type="application/json")  # fmt: skip

    response = obtain("officer_c1")
    assert response.status_code == 403 and "hai lớp" in response.json()["detail"]
    device = set_up(login("officer_c1"), world.users["officer_c1"])
    next_window(device)
    response = obtain("officer_c1")
    assert response.status_code == 401 and "6 chữ số" in response.json()["detail"]
    assert obtain("officer_c1", code=code_of(device)).status_code == 201
    assert obtain("member_a").status_code == 201  # no device, not required
    assert ApiToken.objects.filter(user=world.users["officer_c1"]).count() == 1


def test_reset_for_a_lost_phone(world, client_as, settings):
    settings.CHIBO_TWO_FACTOR_ROLES = []  # force_login sessions are not verified
    secretary = make_user("clerk_a", role="clerk", unit=world.a)  # an account outside the matrix

    def with_device():
        TOTPDevice.objects.filter(user=secretary).delete()
        return TOTPDevice.objects.create(user=secretary, name="chibo", confirmed=True)

    url = f"/accounts/users/{secretary.pk}/two-factor/reset/"
    expected = {"member_a": 403, "secretary_a": 403, "secretary_b": 403, "officer_c1": 302,
                "officer_c2": 404, "admin_p": 302, "anonymous": 302}  # fmt: skip
    with_device()
    responses = check_matrix(client_as, url, expected, method="post")
    assert responses["officer_c1"]["Location"] == f"/accounts/users/{secretary.pk}/"
    with_device()
    client_as("officer_c1").post(url)
    assert not TOTPDevice.objects.filter(user=secretary).exists()
    assert AuditEntry.objects.filter(action="two_factor.reset").exists()
    # The officer of C1 cannot reset the province admin's phone, though the admin is in view.
    TOTPDevice.objects.create(user=world.users["admin_p"], name="chibo", confirmed=True)
    assert client_as("officer_c1").post(
        f"/accounts/users/{world.users['admin_p'].pk}/two-factor/reset/"
    ).status_code in {403, 404}
    assert TOTPDevice.objects.filter(user=world.users["admin_p"]).exists()


def test_pages_matrix(world, client_as, settings):
    settings.CHIBO_TWO_FACTOR_ROLES = []  # force_login sessions are not verified
    everyone = {role: 200 for role in ROLES} | {"anonymous": 302}
    check_matrix(client_as, SETUP, everyone)
    # No device yet: the code page sends to the set-up.
    check_matrix(client_as, VERIFY, {role: 302 for role in ROLES})
