"""A page left open after its session ended (or after a new login elsewhere): htmx must never
swap the login page in as if the request had succeeded — the recording screen would forget the
text it keeps until the server confirms it. Such requests get a notice instead."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from chibo.meetings.models import Speech

from ..meetings.test_views import _discussion, _recording

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _speech_post(client, meeting, section, text="Ý kiến sau khi hết phiên", **headers):
    return client.post(reverse("speech_add", args=[meeting.pk, section.pk]),
                       {"speaker": "", "text": text}, **HX, **headers)  # fmt: skip


def test_an_htmx_request_after_the_session_ended_gets_a_notice_not_the_login_page(world, client_as):
    meeting = _recording(world)
    section = _discussion(meeting)
    client = client_as("secretary_a")
    record = f"http://testserver/meetings/{meeting.pk}/record/?tab=2"
    Session.objects.all().delete()  # the session expired on the server
    response = _speech_post(client, meeting, section, HTTP_HX_CURRENT_URL=record)
    page = response.content.decode()
    assert response.status_code == 401 and response["X-Chibo-Notice"] == "session-ended"
    assert 'id="chibo-notice"' in page and "Phiên đăng nhập đã hết" in page
    assert f'href="/accounts/login/?next=%2Fmeetings%2F{meeting.pk}%2Frecord%2F%3Ftab%3D2"' in page
    assert "<form" not in page and not Speech.objects.exists()
    # Other htmx reads and writes alike; a page from another site is never the way back.
    response = client.get(reverse("member_home"), **HX, HTTP_HX_CURRENT_URL="https://evil.example/x")
    assert response.status_code == 401 and 'href="/accounts/login/?next=%2F"' in response.content.decode()
    # Without htmx: the ordinary redirect to the login page.
    response = client.get(reverse("member_home"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_owing_its_second_factor_gets_the_notice_too(world, client_as, settings):
    settings.CHIBO_TWO_FACTOR_ROLES = ["officer"]
    client = client_as("officer_c1")  # logged in with the password only
    response = client.get(reverse("unit_dashboard", args=[world.c1.pk]), **HX)
    assert response.status_code == 401 and response["X-Chibo-Notice"] == "session-ended"
    assert client.get(reverse("unit_dashboard", args=[world.c1.pk])).status_code == 302


def test_a_stale_form_token_is_explained_in_vietnamese(world):
    meeting = _recording(world)
    section = _discussion(meeting)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["secretary_a"])
    record = f"http://testserver/meetings/{meeting.pk}/record/"
    response = _speech_post(client, meeting, section, HTTP_HX_CURRENT_URL=record,
                            HTTP_X_CSRFTOKEN="token-of-an-older-login")  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 403 and response["X-Chibo-Notice"] == "page-outdated"
    assert "Trang này đã cũ" in page and f'href="/meetings/{meeting.pk}/record/"' in page
    response = client.post(reverse("meeting_create", args=[world.a.pk]), {"place": "Hội trường"},
                           HTTP_REFERER=f"http://testserver/cells/{world.a.pk}/meetings/new/")  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 403 and "Biểu mẫu đã hết hạn" in page
    assert "CSRF verification" not in page and "Forbidden" not in page
    assert not Speech.objects.exists()


def test_django_messages_missing_from_its_catalogue_are_in_vietnamese(world, client_as):
    """A NUL typed into a form field (Django's own check) is refused in Vietnamese."""
    client = client_as("officer_c1")
    response = client.get(reverse("unit_audit", args=[world.c1.pk]), {"actor": "a\x00b"})
    page = response.content.decode()
    assert response.status_code == 422 and "Không được dùng ký tự rỗng (NUL)." in page
    assert "Null characters" not in page


def test_the_way_back_never_leaves_the_site(world):
    """HX-Current-URL on this host but with a path of another site ("//evil.example/x")."""
    meeting = _recording(world)
    section = _discussion(meeting)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["secretary_a"])
    for current in ("http://testserver//evil.example/x", "http://testserver/\\evil.example/x"):
        response = _speech_post(client, meeting, section, HTTP_HX_CURRENT_URL=current,
                                HTTP_X_CSRFTOKEN="stale")  # fmt: skip
        assert response.status_code == 403 and 'href="/"' in response.content.decode(), current
