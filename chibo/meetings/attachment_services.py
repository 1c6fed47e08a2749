"""Files circulated with a meeting: the draft report, the draft resolution, other papers.

The cell's secretary attaches and removes them while the meeting is not finalised or
cancelled; everyone who sees the meeting (`selectors.get_meeting`) downloads them. Files are
only ever served through the download view and API route, after that access check, never from
MEDIA_URL. Removing a file hides it; the row and the stored file are kept, and both the upload
and the removal are audited.

An upload is checked before it is stored: an allowed extension, a size within
`CHIBO_ATTACHMENT_MAX_BYTES` (20 MB by default), and content matching the extension where that
is cheap to tell (PDF header, the zip packages of Word/Excel/OpenDocument files, the old Office
container, PNG and JPEG signatures, text without binary bytes). The name is NFC-normalised and
stripped of any folder; the stored file gets a random name, and its content type comes from the
extension, never from what the browser claimed.
"""

from __future__ import annotations

import unicodedata
import uuid
import zipfile
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AttachmentKind, Meeting, MeetingAttachment, MeetingStatus
from .services import _audit, _require_editable

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
NAME_MAX_LENGTH = 255

# Allowed extensions and the content type the file is served with.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
}
ALLOWED_EXTENSIONS = tuple(CONTENT_TYPES)

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls
_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "doc": (_OLE2,),
    "xls": (_OLE2,),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
# Office Open XML packages: a folder every such file has.
_OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/"}
# OpenDocument packages: the `mimetype` entry they start with.
_ODF_MIMETYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
_TEXT_SAMPLE = 64 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "CHIBO_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def clean_file_name(raw: str | None) -> str:
    """The name shown and offered on download: NFC, without folders (Windows or Unix), without
    control or direction-changing characters, single spaces, at most 255 characters (the
    extension is kept when it is cut)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.split())  # tabs, line breaks, no-break spaces → one space
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= 10:
            name = stem[: NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:NAME_MAX_LENGTH]
    return name


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _head(upload, size: int) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _zip_matches(upload, extension: str) -> bool:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as package:
            names = package.namelist()
            if extension in _OOXML_FOLDERS:
                folder = _OOXML_FOLDERS[extension]
                return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
            if "mimetype" not in names:
                return False
            with package.open("mimetype") as entry:
                return entry.read(100).strip() == _ODF_MIMETYPES[extension]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError,
            NotImplementedError):  # fmt: skip
        return False
    finally:
        upload.seek(0)


def content_matches(upload, extension: str) -> bool:
    """Whether the bytes look like a file of this extension (cheap signature checks)."""
    if extension in _SIGNATURES:
        head = _head(upload, 16)
        return any(head.startswith(signature) for signature in _SIGNATURES[extension])
    if extension in _OOXML_FOLDERS or extension in _ODF_MIMETYPES:
        return _head(upload, 4) == _ZIP and _zip_matches(upload, extension)
    if extension == "txt":
        head = _head(upload, _TEXT_SAMPLE)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte order mark
            return True
        return b"\x00" not in head
    return False


def check_upload(upload) -> dict[str, Any]:
    """Refuse (ValidationError on "file") what may not be attached; otherwise the cleaned
    name, extension, size and content type."""

    def refuse(message: str) -> NoReturn:
        raise ValidationError({"file": [message]})

    if upload is None:
        refuse(_("Choose the file to attach."))
    name = clean_file_name(upload.name)
    extension = extension_of(name)
    if extension not in CONTENT_TYPES:
        refuse(
            _("Files of this type cannot be attached. Allowed: %(allowed)s.")
            % {"allowed": ", ".join(f".{e}" for e in ALLOWED_EXTENSIONS)}
        )
    size = upload.size or 0
    if size == 0:
        refuse(_("The file is empty."))
    if size > max_bytes():
        refuse(
            _("The file is too big (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
        )
    if not content_matches(upload, extension):
        refuse(
            _(
                "The content of this file is not a .%(ext)s file. Save it again in that "
                "format, or give it the extension of its real format."
            )
            % {"ext": extension}
        )
    return {"name": name, "extension": extension, "size": size,
            "content_type": CONTENT_TYPES[extension]}  # fmt: skip


def _require_attachable(meeting: Meeting) -> None:
    """Drafts are circulated until the minutes are locked: refused after finalisation (the lock
    message) or cancellation."""
    _require_editable(meeting)


def can_manage(scope, meeting: Meeting) -> bool:
    """Whether the user may attach and remove files of this meeting now."""
    return scope.can_plan_meetings(meeting.unit) and meeting.status not in (
        MeetingStatus.FINALISED,
        MeetingStatus.CANCELLED,
    )


# --- reads --------------------------------------------------------------------------------------
def meeting_attachments(meeting: Meeting) -> QuerySet[MeetingAttachment]:
    """The files shown with a meeting the caller already sees (removed ones are hidden)."""
    return meeting.attachments.filter(removed_at__isnull=True).select_related("uploaded_by")


def get_attachment(meeting: Meeting, pk: int) -> MeetingAttachment:
    """A shown file of this meeting, or 404. `meeting` comes from `selectors.get_meeting`."""
    attachment = meeting_attachments(meeting).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    attachment.meeting = meeting
    return attachment


# --- writes -------------------------------------------------------------------------------------
@transaction.atomic
def attachment_add(*, meeting: Meeting, by, kind: str, upload) -> MeetingAttachment:
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    _require_attachable(meeting)
    if kind not in AttachmentKind.values:
        raise ValidationError(
            {"kind": [_("Choose what the file is: draft report, draft resolution or other.")]}
        )
    checked = check_upload(upload)
    attachment = MeetingAttachment(
        meeting=meeting, kind=kind, name=checked["name"], size=checked["size"],
        content_type=checked["content_type"], uploaded_by=by,
    )  # fmt: skip
    upload.seek(0)
    # A random name on disk: the original one is kept in `name` and given on download.
    attachment.file.save(f"{uuid.uuid4().hex}.{checked['extension']}", upload, save=False)
    try:
        attachment.save()
        _audit(meeting, by, "attachment.add", attachment, kind=kind, name=attachment.name,
               size=attachment.size, file=attachment.file.name)  # fmt: skip
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: MeetingAttachment, by) -> MeetingAttachment:
    """Hide the file: the row and the stored file are kept (and audited)."""
    meeting = (
        Meeting.objects.select_for_update().select_related("unit").get(pk=attachment.meeting_id)
    )
    _require_attachable(meeting)
    updated = MeetingAttachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )
    if not updated:
        raise Http404
    attachment.refresh_from_db(fields=["removed_at"])
    _audit(meeting, by, "attachment.remove", attachment, kind=attachment.kind,
           name=attachment.name, file=attachment.file.name)  # fmt: skip
    return attachment
