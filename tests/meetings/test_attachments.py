"""Files of a meeting (draft report, draft resolution, other papers): the access matrix of every
page and API route, upload checks (extension, content, size, the lock), downloads with the
original bytes and name, and removal that hides a file but keeps it."""

import datetime
import io
import unicodedata
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from chibo.core.models import AuditEntry
from chibo.meetings import attachment_services, checks, services
from chibo.meetings.models import AttachmentKind, MeetingAttachment

from ..conftest import check_matrix
from .conftest import plan, record_complete

pytestmark = pytest.mark.django_db

OK, FOUND, FORBIDDEN, MISSING = 200, 302, 403, 404
HX = {"HTTP_HX_REQUEST": "true"}
API = "/api/v1"
ALL = ["member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})


class Rewinding(SimpleUploadedFile):
    """An upload that the test client can send more than once (once per role of a matrix)."""

    def read(self, *args):
        if not args:  # the test client reads the whole file to send it
            self.file.seek(0)
        return self.file.read(*args)


def upload(name="Dự thảo báo cáo.pdf", content=PDF):
    return Rewinding(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def expect(**seen):
    """The matrix for a page of cell A: outside the subtree 404, anonymous to the login page."""
    base = dict(member_a=MISSING, secretary_a=MISSING, secretary_b=MISSING, officer_c1=MISSING,
                officer_c2=MISSING, admin_p=MISSING, anonymous=FOUND)  # fmt: skip
    return base | seen


def api_expect(**seen):
    base = {role: MISSING for role in ALL} | {"anonymous": 401}
    return base | seen


READERS = dict(secretary_a=OK, officer_c1=OK, admin_p=OK)


def _secretary(world):
    return world.users["secretary_a"]


def _planned(world):
    return plan(world, day=timezone.localdate() + datetime.timedelta(days=7))


def _announce(world, meeting):
    return services.meeting_announce(meeting=meeting, by=_secretary(world))


def _attach(
    world, meeting, name="Dự thảo báo cáo.pdf", content=PDF, kind=AttachmentKind.DRAFT_REPORT
):
    return attachment_services.attachment_add(
        meeting=meeting, by=_secretary(world), kind=kind, upload=upload(name, content)
    )


def _finalised(world):
    meeting = record_complete(world, plan(world))
    acks = {w.code: "Đã báo cáo cấp ủy" for w in checks.problems(meeting)[1]}
    return services.meeting_finalise(meeting=meeting, by=_secretary(world), acknowledgements=acks)


def refusal(action, language="en") -> str:
    """The message (in English unless told) of the ValidationError that `action()` raises."""
    with translation.override(language), pytest.raises(ValidationError) as refused:
        action()
    return " ".join(refused.value.messages)


# --- access matrix: pages ---------------------------------------------------------------------
def test_list_and_download_matrix_follow_announcement(world, client_as):
    meeting = _planned(world)
    attachment = _attach(world, meeting)
    list_url = reverse("attachments", args=[meeting.pk])
    download_url = reverse("attachment_download", args=[meeting.pk, attachment.pk])
    # Planned: the member does not see the meeting, so neither its files (404).
    check_matrix(client_as, list_url, expect(**READERS), **HX)
    check_matrix(client_as, download_url, expect(**READERS))
    _announce(world, meeting)
    responses = check_matrix(client_as, list_url, expect(member_a=OK, **READERS), **HX)
    check_matrix(client_as, download_url, expect(member_a=OK, **READERS))
    member_view = responses["member_a"].content.decode()
    assert download_url in member_view
    assert reverse("attachment_remove", args=[meeting.pk, attachment.pk]) not in member_view
    assert 'enctype="multipart/form-data"' not in member_view
    secretary_view = responses["secretary_a"].content.decode()
    assert reverse("attachment_remove", args=[meeting.pk, attachment.pk]) in secretary_view
    assert 'enctype="multipart/form-data"' in secretary_view


def test_upload_matrix(world, client_as):
    meeting = _announce(world, _planned(world))
    data = {
        "kind": AttachmentKind.DRAFT_RESOLUTION,
        "file": upload("Dự thảo nghị quyết.docx", DOCX),
    }
    check_matrix(client_as, reverse("attachments", args=[meeting.pk]),
                 expect(member_a=FORBIDDEN, secretary_a=FOUND, officer_c1=FORBIDDEN,
                        admin_p=FORBIDDEN), method="post", data=data)  # fmt: skip
    attachment = MeetingAttachment.objects.get()
    assert (attachment.name, attachment.kind) == ("Dự thảo nghị quyết.docx", "draft_resolution")
    assert attachment.uploaded_by == _secretary(world)


def test_remove_matrix(world, client_as):
    meeting = _announce(world, _planned(world))
    attachment = _attach(world, meeting)
    check_matrix(client_as, reverse("attachment_remove", args=[meeting.pk, attachment.pk]),
                 expect(member_a=FORBIDDEN, secretary_a=FOUND, officer_c1=FORBIDDEN,
                        admin_p=FORBIDDEN), method="post", data={})  # fmt: skip
    attachment.refresh_from_db()
    assert attachment.removed_at is not None


def test_files_of_another_meeting_are_404(world, client_as):
    meeting = _planned(world)
    other = services.meeting_plan(unit=world.b, by=world.users["secretary_b"], kind="regular",
                                  date=meeting.date, start_time=datetime.time(8, 0),
                                  place="Phòng họp")  # fmt: skip
    foreign = attachment_services.attachment_add(
        meeting=other, by=world.users["secretary_b"], kind="other", upload=upload()
    )
    client = client_as("secretary_a")
    assert (
        client.get(reverse("attachment_download", args=[meeting.pk, foreign.pk])).status_code == 404
    )
    assert (
        client.post(reverse("attachment_remove", args=[meeting.pk, foreign.pk])).status_code == 404
    )
    foreign.refresh_from_db()
    assert foreign.removed_at is None


def test_the_meeting_page_loads_the_files_card(world, client_as):
    meeting = _announce(world, _planned(world))
    html = client_as("member_a").get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert f'hx-get="{reverse("attachments", args=[meeting.pk])}"' in html
    # Without htmx the list URL leads back to the meeting page.
    response = client_as("member_a").get(reverse("attachments", args=[meeting.pk]))
    assert response.status_code == FOUND
    assert response["Location"].endswith(
        reverse("meeting_detail", args=[meeting.pk]) + "#attachments"
    )


def test_a_member_sees_no_empty_card(world, client_as):
    meeting = _announce(world, _planned(world))
    response = client_as("member_a").get(reverse("attachments", args=[meeting.pk]), **HX)
    assert response.status_code == OK
    assert b"card" not in response.content


def test_stored_files_are_not_served_from_media_url(world, client_as, settings):
    meeting = _planned(world)
    attachment = _attach(world, meeting)
    url = settings.MEDIA_URL + attachment.file.name
    assert client_as("secretary_a").get(url).status_code == 404
    assert client_as("admin_p").get(url).status_code == 404


# --- access matrix: API -----------------------------------------------------------------------
def test_api_list_and_file_matrix_follow_announcement(world, api_client_as):
    meeting = _planned(world)
    attachment = _attach(world, meeting)
    list_url = f"{API}/meetings/{meeting.pk}/attachments"
    file_url = f"{API}/meetings/{meeting.pk}/attachments/{attachment.pk}/file"
    readers = dict(secretary_a=OK, officer_c1=OK, admin_p=OK)
    check_matrix(api_client_as, list_url, api_expect(**readers))
    check_matrix(api_client_as, file_url, api_expect(**readers))
    _announce(world, meeting)
    responses = check_matrix(api_client_as, list_url, api_expect(member_a=OK, **readers))
    check_matrix(api_client_as, file_url, api_expect(member_a=OK, **readers))
    [item] = responses["member_a"].json()
    assert item["name"] == "Dự thảo báo cáo.pdf"
    assert item["kind"] == "draft_report"
    assert item["size"] == len(PDF)
    assert item["download_url"] == file_url


def test_api_upload_matrix(world, api_client_as):
    meeting = _announce(world, _planned(world))
    data = {"kind": "draft_report", "file": upload()}
    responses = check_matrix(
        api_client_as, f"{API}/meetings/{meeting.pk}/attachments",
        api_expect(member_a=FORBIDDEN, secretary_a=201, officer_c1=FORBIDDEN, admin_p=FORBIDDEN),
        method="post", data=data,
    )  # fmt: skip
    body = responses["secretary_a"].json()
    assert body["name"] == "Dự thảo báo cáo.pdf"
    assert body["content_type"] == "application/pdf"
    assert MeetingAttachment.objects.get().file.read() == PDF


def test_api_remove_matrix(world, api_client_as):
    meeting = _announce(world, _planned(world))
    attachment = _attach(world, meeting)
    check_matrix(
        api_client_as, f"{API}/meetings/{meeting.pk}/attachments/{attachment.pk}",
        api_expect(member_a=FORBIDDEN, secretary_a=204, officer_c1=FORBIDDEN, admin_p=FORBIDDEN),
        method="delete",
    )  # fmt: skip
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert default_storage.exists(attachment.file.name)


def test_api_refusals_are_422_with_the_message(world, client_as, settings):
    meeting = _announce(world, _planned(world))
    client = client_as("secretary_a")
    url = f"{API}/meetings/{meeting.pk}/attachments"
    response = client.post(url, {"kind": "draft_report", "file": upload("virus.exe", b"MZ\x90")})
    assert response.status_code == 422
    assert "file" in response.json()["errors"]
    response = client.post(url, {"kind": "minutes", "file": upload()})
    assert response.status_code == 422
    assert "kind" in response.json()["errors"]
    settings.CHIBO_ATTACHMENT_MAX_BYTES = 10
    response = client.post(url, {"kind": "other", "file": upload()})
    assert response.status_code == 422
    assert not MeetingAttachment.objects.exists()


def test_openapi_lists_the_file_routes(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    assert "/api/v1/meetings/{meeting_id}/attachments" in paths
    assert "/api/v1/meetings/{meeting_id}/attachments/{attachment_id}/file" in paths
    assert "delete" in paths["/api/v1/meetings/{meeting_id}/attachments/{attachment_id}"]


# --- upload and download ----------------------------------------------------------------------
def test_uploaded_file_downloads_with_identical_bytes_and_its_name(world, client_as):
    meeting = _announce(world, _planned(world))
    content = DOCX
    name = unicodedata.normalize("NFD", "Dự thảo nghị quyết tháng 11.docx")  # as a Mac sends it
    client = client_as("secretary_a")
    response = client.post(reverse("attachments", args=[meeting.pk]),
                           {"kind": "draft_resolution", "file": upload(name, content)})  # fmt: skip
    assert response.status_code == FOUND
    attachment = MeetingAttachment.objects.get()
    assert attachment.name == unicodedata.normalize("NFC", name)
    assert attachment.size == len(content)
    assert attachment.content_type.startswith("application/vnd.openxmlformats")
    # Stored under a random name, not the user's.
    assert "Dự" not in attachment.file.name and attachment.file.name.endswith(".docx")

    download = client_as("member_a").get(
        reverse("attachment_download", args=[meeting.pk, attachment.pk])
    )
    assert download.status_code == OK
    assert b"".join(download.streaming_content) == content
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''D%E1%BB%B1%20th%E1%BA%A3o" in disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    assert download["Content-Type"] == attachment.content_type


@pytest.mark.parametrize(
    ("name", "content"),
    [("Báo cáo.pdf", PDF), ("Báo cáo.docx", DOCX), ("Báo cáo.doc", OLE2), ("Bảng.xlsx", XLSX),
     ("Bảng.xls", OLE2), ("Báo cáo.odt", ODT), ("Bảng.ods", ODS), ("Ảnh.jpg", JPEG),
     ("Ảnh.JPEG", JPEG), ("Ảnh.png", PNG), ("Ghi chú.txt", "Nội dung dự thảo.\n".encode()),
     ("Ghi chú UTF-16.txt", "Nội dung".encode("utf-16"))],
)  # fmt: skip
def test_every_allowed_kind_of_file_is_accepted(world, name, content):
    attachment = _attach(world, _planned(world), name=name, content=content)
    assert attachment.name == name
    assert attachment.file.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [("Báo cáo.pdf", PNG), ("Báo cáo.pdf", b"<html><script>alert(1)</script>"),
     ("Báo cáo.docx", PDF), ("Báo cáo.docx", XLSX), ("Bảng.xlsx", DOCX),
     ("Báo cáo.docx", _zip({"a.txt": b"x"})), ("Báo cáo.odt", ODS), ("Bảng.ods", DOCX),
     ("Báo cáo.doc", DOCX), ("Ảnh.png", JPEG), ("Ảnh.jpg", PNG), ("Ghi chú.txt", PNG),
     ("Báo cáo.docx", b"PK\x03\x04 not really a zip")],
)  # fmt: skip
def test_content_not_matching_the_extension_is_refused(world, name, content):
    with pytest.raises(ValidationError) as refused:
        _attach(world, _planned(world), name=name, content=content)
    assert "file" in refused.value.message_dict
    assert not MeetingAttachment.objects.exists()


@pytest.mark.parametrize("name", ["virus.exe", "trang.html", "script.svg", "Báo cáo", ".pdf",
                                  "nén.zip", "Báo cáo.pdf.exe"])  # fmt: skip
def test_wrong_extension_is_refused(world, client_as, name):
    meeting = _planned(world)
    assert "cannot be attached" in refusal(lambda: _attach(world, meeting, name=name))
    # Through the page: the message is shown and nothing is stored.
    client = client_as("secretary_a")
    response = client.post(reverse("attachments", args=[meeting.pk]),
                           {"kind": "other", "file": upload(name)}, follow=True)  # fmt: skip
    assert refusal(lambda: _attach(world, meeting, name=name), "vi") in response.content.decode()
    assert not MeetingAttachment.objects.exists()


def test_oversize_is_refused(world, settings):
    settings.CHIBO_ATTACHMENT_MAX_BYTES = len(PDF) - 1
    message = refusal(lambda: _attach(world, _planned(world)))
    assert message.replace("\xa0", " ") == (
        f"The file is too big ({len(PDF)} bytes); the limit is {len(PDF) - 1} bytes."
    )
    settings.CHIBO_ATTACHMENT_MAX_BYTES = len(PDF)
    assert _attach(world, _planned(world)).size == len(PDF)


def test_default_limit_is_20_mb(settings):
    del settings.CHIBO_ATTACHMENT_MAX_BYTES
    assert attachment_services.max_bytes() == 20 * 1024 * 1024


def test_empty_and_missing_files_are_refused(world):
    meeting = _planned(world)
    assert refusal(lambda: _attach(world, meeting, content=b"")) == "The file is empty."
    with pytest.raises(ValidationError):
        attachment_services.attachment_add(meeting=meeting, by=_secretary(world), kind="other",
                                           upload=None)  # fmt: skip


def test_file_names_are_cleaned():
    clean = attachment_services.clean_file_name
    assert clean("C:\\Users\\Hoa\\Desktop\\Dự thảo.pdf") == "Dự thảo.pdf"
    assert clean("../../etc/Dự thảo.pdf") == "Dự thảo.pdf"
    assert clean(unicodedata.normalize("NFD", "Nghị quyết.docx")) == "Nghị quyết.docx"
    assert clean("  Báo\u00a0cáo \t tháng\n11.pdf ") == "Báo cáo tháng 11.pdf"
    assert clean("anh\u202egpj.exe") == "anhgpj.exe"  # no right-to-left override trick
    long_name = clean("Dự thảo " * 60 + ".docx")
    assert len(long_name) <= 255 and long_name.endswith(".docx")


def test_refused_after_finalisation_with_the_lock_message(world, client_as):
    meeting = _finalised(world)
    assert "finalised and locked" in refusal(lambda: _attach(world, meeting))
    client = client_as("secretary_a")
    response = client.post(reverse("attachments", args=[meeting.pk]),
                           {"kind": "other", "file": upload()}, follow=True)  # fmt: skip
    assert response.status_code == OK
    assert not MeetingAttachment.objects.exists()
    response = client.post(f"{API}/meetings/{meeting.pk}/attachments",
                           {"kind": "other", "file": upload()})  # fmt: skip
    assert response.status_code == 422
    assert not MeetingAttachment.objects.exists()


def test_files_attached_before_finalisation_stay_readable_but_locked(world, client_as):
    meeting = record_complete(world, plan(world))
    attachment = _attach(world, meeting)
    acks = {w.code: "Đã báo cáo cấp ủy" for w in checks.problems(meeting)[1]}
    services.meeting_finalise(meeting=meeting, by=_secretary(world), acknowledgements=acks)
    download_url = reverse("attachment_download", args=[meeting.pk, attachment.pk])
    check_matrix(client_as, download_url, expect(member_a=OK, **READERS))
    listing = client_as("secretary_a").get(reverse("attachments", args=[meeting.pk]), **HX)
    assert 'enctype="multipart/form-data"' not in listing.content.decode()
    client = client_as("secretary_a")
    client.post(reverse("attachment_remove", args=[meeting.pk, attachment.pk]))
    attachment.refresh_from_db()
    assert attachment.removed_at is None
    assert "finalised and locked" in refusal(
        lambda: attachment_services.attachment_remove(attachment=attachment, by=_secretary(world))
    )


def test_refused_on_a_cancelled_meeting(world):
    meeting = _planned(world)
    services.meeting_cancel(meeting=meeting, by=_secretary(world), reason="Mưa bão")
    assert refusal(lambda: _attach(world, meeting)) == "This meeting was cancelled."


# --- removal ----------------------------------------------------------------------------------
def test_removal_hides_the_file_and_keeps_it(world, client_as):
    meeting = _announce(world, _planned(world))
    kept = _attach(world, meeting, name="Nghị quyết.pdf", kind=AttachmentKind.DRAFT_RESOLUTION)
    attachment = _attach(world, meeting)
    client = client_as("secretary_a")
    response = client.post(reverse("attachment_remove", args=[meeting.pk, attachment.pk]))
    assert response.status_code == FOUND
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert default_storage.exists(attachment.file.name)
    assert default_storage.open(attachment.file.name).read() == PDF
    # Hidden everywhere: the list, the download, the API.
    listing = client.get(reverse("attachments", args=[meeting.pk]), **HX).content.decode()
    assert "Nghị quyết.pdf" in listing and "Dự thảo báo cáo.pdf" not in listing
    assert (
        client.get(reverse("attachment_download", args=[meeting.pk, attachment.pk])).status_code
        == 404
    )
    api_names = [a["name"] for a in client.get(f"{API}/meetings/{meeting.pk}/attachments").json()]
    assert api_names == [kept.name]
    # Removing it again: 404.
    assert (
        client.post(reverse("attachment_remove", args=[meeting.pk, attachment.pk])).status_code
        == 404
    )


def test_uploads_and_removals_are_audited(world):
    meeting = _planned(world)
    attachment = _attach(world, meeting)
    attachment_services.attachment_remove(attachment=attachment, by=_secretary(world))
    entries = AuditEntry.objects.filter(object_type="meetings.meetingattachment",
                                        object_id=str(attachment.pk)).order_by("id")  # fmt: skip
    assert [e.action for e in entries] == ["attachment.add", "attachment.remove"]
    assert all(e.actor == _secretary(world) and e.unit_path == world.a.path for e in entries)
    assert entries[0].changes["name"] == "Dự thảo báo cáo.pdf"
