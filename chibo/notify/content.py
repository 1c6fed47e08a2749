"""What a notification says. Parameters are gathered when the event happens (`*_params`) and
turned into a title and a text when shown or sent (`render`), in the active language.

The confidential rule lives here: `document_params` is the only way a document enters a
notification, and it never copies the text of a confidential document — only its number, title
and where to read it. `render` checks again, so a stored row cannot carry it either."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Kind

EXCERPT = 300


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str


def _date(iso: str) -> str:
    return date_format(datetime.date.fromisoformat(iso), "d/m/Y")


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


# --- parameters, taken when the event happens -----------------------------------------------
def meeting_params(meeting) -> dict:
    return {"meeting_id": meeting.pk, "cell": meeting.unit.name, "date": meeting.date.isoformat(),
            "time": meeting.start_time.strftime("%H:%M"), "place": meeting.place,
            "topic": meeting.topic, "resolution_number": meeting.resolution_number}  # fmt: skip


def meeting_url(meeting_id: int) -> str:
    return reverse("meeting_detail", args=[meeting_id])


def document_params(document) -> dict:
    params = {"document_id": document.pk, "title": document.title, "number": document.number,
              "unit": document.unit.name, "meeting_id": document.meeting_id,
              "confidential": document.is_confidential, "where_to_read": document.where_to_read}  # fmt: skip
    if not document.is_confidential:
        params["excerpt"] = _excerpt(document.body)
        params["file_name"] = document.file_name
    return params


def task_params(task) -> dict:
    return {"task_id": task.pk, "description": _excerpt(task.description),
            "deadline": task.deadline.isoformat(), "cell": task.cell.name}  # fmt: skip


def leave_params(request) -> dict:
    return {"meeting_id": request.meeting_id, "member": request.member.full_name,
            "date": request.meeting.date.isoformat(), "reason": request.reason,
            "status": request.status}  # fmt: skip


def comment_params(comment) -> dict:
    return {"meeting_id": comment.meeting_id, "part": comment.part, "paragraph": comment.paragraph + 1,
            "author": comment.author.display_name, "text": _excerpt(comment.text),
            "date": comment.meeting.date.isoformat()}  # fmt: skip


def proposal_params(proposal) -> dict:
    return {"proposal_id": proposal.pk, "title": proposal.title, "status": proposal.status,
            "answer": _excerpt(proposal.answer), "cell": proposal.cell.name}  # fmt: skip


# --- text, written when shown or sent -----------------------------------------------------------
def render(kind: str, params: dict) -> Rendered:
    p = params
    if kind == Kind.MEETING_ANNOUNCED:
        return Rendered(
            _("%(cell)s meets on %(date)s at %(time)s") % {**p, "date": _date(p["date"])},
            _("Place: %(place)s.") % p + (" " + _("Topic: %(topic)s.") % p if p.get("topic") else ""),
        )
    if kind == Kind.MEETING_TOMORROW:
        return Rendered(
            _("Tomorrow: %(cell)s meets at %(time)s") % p,
            _("%(date)s, %(place)s. Read the drafts and documents before the meeting; "
              "ask for leave in chibo if you cannot come.") % {**p, "date": _date(p["date"])},
        )  # fmt: skip
    if kind == Kind.DOCUMENTS_ADDED:
        name = f"{p['number']} — {p['title']}" if p.get("number") else p["title"]
        if p.get("confidential"):
            # Reference only, whatever the stored row holds.
            return Rendered(_("Confidential document: %(name)s") % {"name": name},
                            _("Read it at: %(where)s.") % {"where": p.get("where_to_read", "")})
        text = p.get("excerpt") or (_("Attached file: %(file)s") % {"file": p["file_name"]}
                                    if p.get("file_name") else "")  # fmt: skip
        return Rendered(_("New document: %(name)s") % {"name": name}, text)
    if kind == Kind.MINUTES_FINALISED:
        return Rendered(
            _("Minutes of %(cell)s, %(date)s, are finalised") % {**p, "date": _date(p["date"])},
            _("Resolution %(number)s is on the meeting page.") % {"number": p["resolution_number"]}
            if p.get("resolution_number") else _("The resolution is on the meeting page."),
        )  # fmt: skip
    if kind == Kind.TASK_ASSIGNED:
        return Rendered(_("New task, due %(date)s") % {"date": _date(p["deadline"])}, p["description"])
    if kind == Kind.TASK_DUE_SOON:
        return Rendered(_("Task due on %(date)s") % {"date": _date(p["deadline"])}, p["description"])
    if kind == Kind.TASK_OVERDUE:
        return Rendered(_("Task overdue since %(date)s") % {"date": _date(p["deadline"])},
                        p["description"])  # fmt: skip
    if kind == Kind.PROPOSAL_ANSWERED:
        title = (_("Proposal answered: %(title)s") if p["status"] == "answered"
                 else _("Proposal rejected: %(title)s")) % p  # fmt: skip
        return Rendered(title, p["answer"])
    if kind == Kind.LEAVE_REQUESTED:
        return Rendered(_("%(member)s asks for leave from the meeting of %(date)s")
                        % {**p, "date": _date(p["date"])}, p["reason"])  # fmt: skip
    if kind == Kind.LEAVE_DECIDED:
        title = (_("Your leave from the meeting of %(date)s is approved") if p["status"] == "approved"
                 else _("Your leave from the meeting of %(date)s is declined"))  # fmt: skip
        return Rendered(title % {"date": _date(p["date"])}, p["reason"])
    if kind == Kind.DRAFT_COMMENTED:
        title = (_("%(author)s comments on paragraph %(paragraph)s of the draft report")
                 if p["part"] == "report" else
                 _("%(author)s comments on paragraph %(paragraph)s of the draft resolution"))  # fmt: skip
        return Rendered(title % p, p["text"])
    if kind == Kind.CELLS_NOT_MET:
        names = ", ".join(p["names"]) + ("…" if p["count"] > len(p["names"]) else "")
        return Rendered(
            ngettext("%(count)s cell of %(unit)s has not met by %(date)s",
                     "%(count)s cells of %(unit)s have not met by %(date)s", p["count"])
            % {**p, "date": _date(p["deadline"])},
            names,
        )  # fmt: skip
    return Rendered(kind, "")
