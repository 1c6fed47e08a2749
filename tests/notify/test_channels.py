"""The webhook channel against a local gateway, and the confidential rule on every channel:
no path lets the body of a confidential document into a notification."""

import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.utils import translation

from chibo.documents import services as documents
from chibo.documents.models import Confidentiality, Document
from chibo.notify import content, services
from chibo.notify.models import Delivery, DeliveryStatus, Kind, Notification

from .conftest import run_jobs
from .webhook import Gateway

pytestmark = pytest.mark.django_db
SECRET_TEXT = "Nội dung mật tuyệt đối không gửi"


@pytest.fixture
def gateway(settings):
    with Gateway() as running:
        settings.CHIBO_NOTIFY_CHANNELS = [
            {"class": "chibo.notify.channels.EmailChannel"},
            {"class": "chibo.notify.channels.WebhookChannel", "name": "sms", "label": "Tin nhắn",
             "url": running.url, "secret": "khóa-bí-mật", "default_on": True},
        ]  # fmt: skip
        yield running


@pytest.fixture
def phones(world):
    world.hoa.phone = "0912345678"
    world.hoa.save()
    world.users["member_a"].email = "hoa@example.vn"
    world.users["member_a"].save()
    return world


def publish(world, **extra):
    data = {"kind": "directive", "title": "Chỉ thị về bảo vệ bí mật", "number": "07-CT/ĐU",
            "confidentiality": "normal", "body": "Các chi bộ quán triệt."} | extra  # fmt: skip
    return documents.document_publish(unit=world.c1, by=world.users["officer_c1"], **data)


def test_webhook_posts_signed_json_with_an_idempotency_key(phones, gateway):
    publish(phones)
    run_jobs()
    assert len(gateway.received) == 1  # Hoa has a phone; the others have none
    request = gateway.received[0]
    payload = request["json"]
    assert payload["to"] == "0912345678" and payload["kind"] == Kind.DOCUMENTS_ADDED
    assert payload["title"] == "Tài liệu mới: 07-CT/ĐU — Chỉ thị về bảo vệ bí mật"
    assert payload["text"] == "Các chi bộ quán triệt."
    assert payload["url"].endswith(f"/documents/{Document.objects.get().pk}/")
    delivery = Delivery.objects.get(channel="sms")
    assert request["headers"]["Idempotency-Key"] == payload["id"] == delivery.message_id
    expected = hmac.new("khóa-bí-mật".encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Chibo-Signature"] == f"sha256={expected}"
    assert delivery.status == DeliveryStatus.SENT
    assert gateway.acknowledged == [delivery.message_id]


def test_a_gateway_error_leaves_the_delivery_for_a_later_attempt(phones, gateway):
    gateway.status = 503
    publish(phones)
    run_jobs()
    delivery = Delivery.objects.get(channel="sms")
    assert (delivery.status, delivery.error, delivery.attempts) == (DeliveryStatus.PENDING, "HTTP 503", 1)
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT  # e-mail is separate
    gateway.status = 200
    Delivery.objects.update(next_attempt_at=None)
    services.send_due(worker_id="w")
    assert Delivery.objects.get(channel="sms").status == DeliveryStatus.SENT
    assert len(gateway.received) == 2 and len(set(r["json"]["id"] for r in gateway.received)) == 1


def test_a_channel_off_by_default_needs_the_member_to_ask_for_it(phones, settings, gateway):
    settings.CHIBO_NOTIFY_CHANNELS[1]["default_on"] = False
    publish(phones)
    run_jobs()
    assert gateway.received == []
    services.choices_save(user=phones.users["member_a"], enabled={(Kind.DOCUMENTS_ADDED, "sms")})
    publish(phones, title="Hướng dẫn thứ hai")
    run_jobs()
    assert [r["json"]["title"] for r in gateway.received] == ["Tài liệu mới: 07-CT/ĐU — Hướng dẫn thứ hai"]


def test_a_confidential_document_reaches_no_channel_with_its_text(phones, gateway):
    document = publish(phones, confidentiality=Confidentiality.CONFIDENTIAL, body="",
                       where_to_read="Văn phòng Đảng ủy xã")  # fmt: skip
    run_jobs()
    stored = Notification.objects.filter(kind=Kind.DOCUMENTS_ADDED)
    assert stored.count() == 3 and all("excerpt" not in n.params for n in stored)
    payload = gateway.received[0]["json"]
    assert payload["title"] == "Tài liệu mật: 07-CT/ĐU — Chỉ thị về bảo vệ bí mật"
    assert payload["text"] == "Đọc tại: Văn phòng Đảng ủy xã."
    assert mail.outbox[0].body.startswith("Đọc tại: Văn phòng Đảng ủy xã.")
    # Even a document object carrying a text in memory gives none to a notification…
    document.body = SECRET_TEXT
    assert "excerpt" not in content.document_params(document)
    # …and a stored row that somehow carries one is rendered without it.
    with translation.override("vi"):
        shown = content.render(Kind.DOCUMENTS_ADDED, {**content.document_params(document), "excerpt": SECRET_TEXT})
    assert SECRET_TEXT not in shown.title + shown.text


def test_the_confidential_text_is_refused_before_anything_is_queued(phones, gateway):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        publish(phones, confidentiality=Confidentiality.CONFIDENTIAL, body=SECRET_TEXT,
                where_to_read="Văn phòng")  # fmt: skip
    assert run_jobs() == 0
    assert not Notification.objects.exists() and gateway.received == []


def test_every_notification_text_of_a_confidential_meeting_document_is_reference_only(phones, gateway):
    from ..meetings.conftest import plan

    meeting = plan(phones, day=__import__("datetime").date(2026, 12, 20))
    document = documents.document_add_to_meeting(
        meeting=meeting, by=phones.users["secretary_a"], title="Báo cáo nhân sự",
        confidentiality=Confidentiality.CONFIDENTIAL, where_to_read="Tủ hồ sơ chi bộ")  # fmt: skip
    run_jobs()
    everything = json.dumps([r["json"] for r in gateway.received], ensure_ascii=False)
    everything += "".join(m.subject + m.body for m in mail.outbox)
    assert "Tủ hồ sơ chi bộ" in everything and "Báo cáo nhân sự" in everything
    assert Document.objects.get(pk=document.pk).body == ""
