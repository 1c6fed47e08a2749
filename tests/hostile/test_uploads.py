"""Broken and hostile files sent to every upload, through the pages and the API.

Uploads: the files of a meeting (page and API), documents for a unit and for a meeting (pages
and API), Word templates (page and API) and the member import (page; the API has no import).
Each refuses a program renamed .pdf, a web page renamed .docx, an Excel file renamed .docx, a
truncated or garbage Word package, an empty file, a forbidden type and a file over the limit:
a 4xx answer (the meeting's files page: back to the meeting with the message, as after every
action there) with the service's own Vietnamese message, and nothing stored — no row, no audit
entry, no file on disk. A Word template that asks for a local file (an XML external entity) or
expands entities without end never puts anything in the printed minutes.
"""

from __future__ import annotations

import html
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from chibo.core.models import AuditEntry
from chibo.documents.models import Document
from chibo.meetings import attachment_services, exporting, template_services
from chibo.meetings.models import MeetingAttachment, WordTemplate
from chibo.org import importing
from chibo.org.models import Member, Unit

pytestmark = pytest.mark.django_db

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"This program cannot be run" * 8
WEB_PAGE = b"<!doctype html><html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in entries.items():
            package.writestr(name, content)
    return buffer.getvalue()


def _word() -> bytes:
    return exporting.word_template("minutes").read_bytes()


def _excel() -> bytes:
    return importing.build_template()


def _with_document_xml(xml: bytes) -> bytes:
    """The shipped minutes template with its main part replaced."""
    source = zipfile.ZipFile(io.BytesIO(_word()))
    return _zip({name: xml if name == "word/document.xml" else source.read(name)
                 for name in source.namelist()})  # fmt: skip


# What arrives: (file name, content). Every upload refuses each of them.
HOSTILE = {
    "program renamed .pdf": ("Báo cáo tháng.pdf", lambda: PROGRAM),
    "web page renamed .pdf": ("Báo cáo tháng.pdf", lambda: WEB_PAGE),
    "web page renamed .docx": ("Dự thảo nghị quyết.docx", lambda: WEB_PAGE),
    "Excel workbook renamed .docx": ("Dự thảo nghị quyết.docx", _excel),
    "truncated Word file": ("Dự thảo nghị quyết.docx", lambda: _word()[: len(_word()) // 3]),
    "zip of garbage named .docx": ("Dự thảo nghị quyết.docx",
                                   lambda: _zip({"rác.bin": bytes(range(256)) * 8})),  # fmt: skip
    "not a zip named .xlsx": ("Danh sách.xlsx", lambda: b"Ho;Ten\nNguyen;An\n" * 20),
    "empty file": ("Báo cáo tháng.pdf", lambda: b""),
    "program": ("cai-dat.exe", lambda: PROGRAM),
    "picture with a script": ("Ảnh.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
}  # fmt: skip


class Upload(SimpleUploadedFile):
    """A file the test client can send (it reads the whole file to send it)."""

    def read(self, *args):
        if not args:
            self.file.seek(0)
        return self.file.read(*args)


def upload(name: str, content: bytes) -> Upload:
    return Upload(name, content, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.CHIBO_IMPORT_SYNC = True
    return settings.MEDIA_ROOT


@pytest.fixture
def meeting(announced_meeting):
    return announced_meeting


@dataclass(frozen=True)
class Route:
    """An upload: who sends it, where, with which other fields, and which check decides."""

    role: str
    url: str  # formatted with the world and the meeting
    fields: dict[str, Any]
    api: bool
    word: bool = False  # the Word template check instead of the attachment check

    def client(self, client_as, bearer_for) -> Client:
        return Client(**bearer_for(self.role)) if self.api else client_as(self.role)

    def send(self, client, world, meeting, file):
        url = self.url.format(c1=world.c1.pk, meeting=meeting.pk)
        return client.post(url, {**self.fields, "file": file}, follow=not self.api)


DOCUMENT = {"kind": "news", "title": "Tin tức", "confidentiality": "normal"}
ROUTES = {
    "meeting file (page)": Route("secretary_a", "/meetings/{meeting}/attachments/",
                                 {"kind": "draft_report"}, api=False),
    "meeting file (API)": Route("secretary_a", API + "/meetings/{meeting}/attachments",
                                {"kind": "draft_report"}, api=True),
    "unit document (page)": Route("officer_c1", "/units/{c1}/documents/new", DOCUMENT, api=False),
    "unit document (API)": Route("officer_c1", API + "/units/{c1}/documents/file", DOCUMENT, api=True),
    "meeting document (page)": Route("secretary_a", "/meetings/{meeting}/documents/new",
                                     {k: v for k, v in DOCUMENT.items() if k != "kind"}, api=False),
    "meeting document (API)": Route("secretary_a", API + "/meetings/{meeting}/documents/file", DOCUMENT,
                                    api=True),
    "Word template (page)": Route("officer_c1", "/units/{c1}/word-templates/", {"document": "minutes"},
                                  api=False, word=True),
    "Word template (API)": Route("officer_c1", API + "/units/{c1}/word-templates", {"document": "minutes"},
                                 api=True, word=True),
}  # fmt: skip


def _stored() -> tuple[int, ...]:
    return (MeetingAttachment.objects.count(), Document.objects.count(),
            WordTemplate.objects.count(), AuditEntry.objects.count())  # fmt: skip


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _refusal(route: Route, name: str, content: bytes) -> set[str]:
    """What the service says about this file, in Vietnamese (and what Django's form field says
    first about an empty file on the pages)."""
    check = (
        template_services.check_word_template if route.word else attachment_services.check_upload
    )
    with translation.override("vi"):
        try:
            check(upload(name, content))
        except ValidationError as refused:
            messages = set(refused.messages)
        else:
            raise AssertionError(f"the check accepts {name!r}")
        if not content and not route.api:
            from django import forms

            messages.add(str(forms.FileField.default_error_messages["empty"]))
    return messages


def _shown(response, route: Route) -> str:
    if route.api:
        return " ".join(response.json()["errors"]["file"])
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("what", sorted(HOSTILE))
@pytest.mark.parametrize("where", sorted(ROUTES))
def test_a_hostile_file_is_refused_with_a_message_and_nothing_is_stored(
    world, meeting, client_as, bearer_for, media, where, what
):
    route = ROUTES[where]
    name, make = HOSTILE[what]
    content = make()
    expected = _refusal(route, name, content)
    client = route.client(client_as, bearer_for)
    before = _stored()
    response = route.send(client, world, meeting, upload(name, content))
    if route.api:
        assert response.status_code == 422, response.content
    elif route.url.endswith("/attachments/"):  # back to the meeting, the message on top
        assert response.redirect_chain and response.status_code == 200
    else:
        assert response.status_code == 422
    shown = _shown(response, route)
    assert any(message in shown for message in expected), (expected, shown[-3000:])
    assert all(not message.isascii() for message in expected)  # said in Vietnamese
    assert _stored() == before
    assert _files(media) == []


@pytest.mark.parametrize("where", sorted(ROUTES))
def test_a_file_over_the_limit_is_refused(world, meeting, client_as, bearer_for, media, settings,
                                          monkeypatch, where):  # fmt: skip
    route = ROUTES[where]
    settings.CHIBO_ATTACHMENT_MAX_BYTES = 64
    monkeypatch.setattr(template_services, "WORD_MAX_BYTES", 1024)
    name, content = ("Mẫu.docx", _word()) if route.word else ("Báo cáo.pdf", PDF)
    expected = _refusal(route, name, content)
    assert any("MB" in m or "KB" in m or "byte" in m for m in expected), expected
    client = route.client(client_as, bearer_for)
    before = _stored()
    response = route.send(client, world, meeting, upload(name, content))
    assert response.status_code in (200, 422)
    assert any(message in _shown(response, route) for message in expected)
    assert _stored() == before and _files(media) == []


# --- Word templates: what only a template parser sees ------------------------------------------
LAUGHS = (b'<!DOCTYPE w:document [<!ENTITY a "ha ha ha ha ha ha ha ha ha ha">'
          + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8))
          + b"]>")  # fmt: skip


def _document_xml() -> bytes:
    return zipfile.ZipFile(io.BytesIO(_word())).read("word/document.xml")


def _with_doctype(doctype: bytes, text: bytes) -> bytes:
    head, body = _document_xml().split(b"?>", 1)
    body = body.replace(b"<w:body>", b"<w:body><w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>", 1)
    return _with_document_xml(head + b"?>" + doctype + body)


@pytest.mark.parametrize("what", ["broken XML", "entities without end", "zip bomb"])
def test_a_word_template_that_cannot_be_read_safely_is_refused(world, client_as, bearer_for, media,
                                                               what):  # fmt: skip
    if what == "broken XML":
        content = _with_document_xml(_document_xml()[:-200])
    elif what == "entities without end":
        content = _with_doctype(LAUGHS, b"&i;")
    else:  # small on disk, over the unpacked limit
        content = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                        "word/media/image1.png": bytes(template_services.WORD_MAX_UNPACKED_BYTES + 1)})  # fmt: skip
        assert len(content) < template_services.WORD_MAX_BYTES
    expected = _refusal(ROUTES["Word template (API)"], "Mẫu.docx", content)
    response = Client(**bearer_for("officer_c1")).post(
        f"{API}/units/{world.c1.pk}/word-templates", {"document": "minutes", "file": upload("Mẫu.docx", content)}
    )  # fmt: skip
    assert response.status_code == 422 and response.json()["errors"]["file"][0] in expected
    assert not WordTemplate.objects.exists() and _files(media) == []


def test_a_word_template_never_prints_a_file_of_the_server(
    world, client_as, bearer_for, media, tmp_path
):
    """An XML external entity naming a local file: python-docx does not resolve entities, so
    the template either is refused or prints nothing of the file."""
    secret = tmp_path / "bi-mat.txt"
    secret.write_text("NỘI-DUNG-MẬT-7731")
    content = _with_doctype(
        f'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file://{secret}">]>'.encode(), b"&x;"
    )
    response = Client(**bearer_for("officer_c1")).post(
        f"{API}/units/{world.c1.pk}/word-templates", {"document": "minutes", "file": upload("Mẫu.docx", content)}
    )  # fmt: skip
    assert response.status_code in (201, 422)
    printed = exporting.render_docx(
        exporting.word_template("minutes", world.a), template_services.SAMPLE_CONTEXT
    )
    with zipfile.ZipFile(io.BytesIO(printed)) as package:
        assert all("NỘI-DUNG-MẬT".encode() not in package.read(name) for name in package.namelist())


# --- the member import (a page; the API has no import) ----------------------------------------
def _truncated_workbook() -> bytes:
    content = _excel()
    return content[: len(content) // 2]


def _bomb(max_bytes: int) -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": bytes(20 * max_bytes + 1)})  # fmt: skip


IMPORTS = {
    "program renamed .xlsx": lambda: PROGRAM,
    "web page renamed .xlsx": lambda: WEB_PAGE,
    "Word file renamed .xlsx": _word,
    "truncated workbook": _truncated_workbook,
    "zip bomb": lambda: _bomb(50_000),
    "workbook with garbage inside": lambda: _zip(
        {"[Content_Types].xml": b"\x00\xff<", "xl/workbook.xml": bytes(range(256))}
    ),  # fmt: skip
}


@pytest.mark.parametrize("what", sorted(IMPORTS))
def test_a_broken_workbook_imports_nothing_and_says_why(world, client_as, settings, what):
    settings.CHIBO_IMPORT_MAX_BYTES = 50_000
    content = IMPORTS[what]()
    client = client_as("officer_c1")
    before = (Unit.objects.count(), Member.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("import_upload"), {"file": upload("Danh sách đảng viên.xlsx", content)}
    )
    if response.status_code == 400:  # refused at once (too big)
        shown = html.unescape(response.content.decode())
        assert "MB" in shown
    else:
        assert response.status_code == 302
        job = importing.read_job(response["Location"].rstrip("/").split("/")[-1])
        assert job["state"] == "failed" and not job["result"]["errors"]
        message = job["result"]["message"]
        assert message and not message.isascii()
        page = html.unescape(client.get(response["Location"]).content.decode())
        assert message in page
    assert (Unit.objects.count(), Member.objects.count(), AuditEntry.objects.count()) == before
    assert not list(importing.jobs_dir().glob("*.xlsx"))  # the upload is not kept
