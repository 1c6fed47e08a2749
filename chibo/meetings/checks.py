"""What must be true before minutes may be finalised, and the rulebook's softer rules.

`problems(meeting)` returns errors (finalisation refused) and warnings (the secretary must
acknowledge each with a reason). Every problem names the part of the minutes to fix, so the
screen can link to it. The vote arithmetic follows DOMAIN.md ("A resolution is valid").
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.core.text import fold
from chibo.rulebooks.selectors import rulebook_for

from . import signals
from .models import (
    REGULAR_KINDS,
    Meeting,
    MeetingKind,
    Presence,
    RosterCategory,
    SectionContent,
    VoteSubject,
)

# Words that carry no content in a conclusion: "Chi bộ nhất trí cao." says nothing.
BOILERPLATE_WORDS = set(
    fold(
        "chi bo dong chi cac y kien nhat tri thong nhat cao dong y tan thanh hoan toan voi "
        "ve va la da duoc thong qua ket luan cua chu tri chu toa theo nhu tren noi dung "
        "bao cao du thao nghi quyet rat tot ok"
    ).split()
)
MIN_CONTENT_WORDS = 4


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    anchor: str = ""  # the id of the part of the screen to fix

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "anchor": self.anchor}


@dataclass(frozen=True)
class VoteCount:
    counted: int  # official members whose vote counts (DOMAIN.md)
    voters_present: int  # those of them present
    needed: int  # votes "for" needed: more than half of `counted`


def has_content(text: str) -> bool:
    """True when the text says something beyond agreement formulas ("nhất trí", "thống nhất")."""
    words = [w for w in re.split(r"[^a-z0-9]+", fold(text or "")) if w]
    meaningful = [w for w in words if w not in BOILERPLATE_WORDS]
    return len(meaningful) >= MIN_CONTENT_WORDS


def vote_count(attendance) -> VoteCount:
    """Counted = official members on the roster, minus those attached elsewhere, exempted members
    who are absent, and members absent with an accepted reason. Probationary members and members
    attached here never vote; an exempted member who attends may vote."""
    counted = present = 0
    for line in attendance:
        if not line.was_official or line.category in (RosterCategory.ATTACHED, RosterCategory.AWAY):
            continue
        if line.presence in (Presence.EXEMPT_ABSENT, Presence.ABSENT_EXCUSED, Presence.AWAY):
            continue
        counted += 1
        if line.presence == Presence.PRESENT:
            present += 1
    return VoteCount(counted=counted, voters_present=present, needed=counted // 2 + 1)


def expected_attendees(attendance) -> list:
    """Roster lines expected at the meeting: not attached elsewhere, not exempted-and-absent."""
    return [
        line
        for line in attendance
        if line.category != RosterCategory.AWAY and line.presence != Presence.EXEMPT_ABSENT
    ]


def attendance_rate(attendance) -> float | None:
    expected = expected_attendees(attendance)
    if not expected:
        return None
    present = sum(1 for line in expected if line.presence == Presence.PRESENT)
    return present / len(expected)


def duration_minutes(meeting: Meeting) -> int | None:
    if meeting.actual_start is None or meeting.actual_end is None:
        return None
    start = datetime.datetime.combine(meeting.date, meeting.actual_start)
    end = datetime.datetime.combine(meeting.date, meeting.actual_end)
    if end < start:  # past midnight
        end += datetime.timedelta(days=1)
    return int((end - start).total_seconds() // 60)


def problems(meeting: Meeting) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for the meeting as recorded now. Reads the related rows once."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    sections = list(meeting.sections.prefetch_related("speeches"))
    attendance = list(meeting.attendance.select_related("member"))
    votes = {v.subject: v for v in meeting.votes.all()}
    assignments = list(meeting.assignments.prefetch_related("assignees"))
    contents = {s.content for s in sections}
    preparatory = meeting.kind == MeetingKind.PREPARATORY

    if meeting.chair_id is None:
        errors.append(Problem("chair", _("Choose the chair of the meeting."), "part-people"))
    if meeting.clerk_id is None:
        errors.append(Problem("clerk", _("Choose the minutes clerk."), "part-people"))
    if meeting.actual_start is None or meeting.actual_end is None:
        errors.append(
            Problem("times", _("Record the time the meeting started and ended."), "part-people")
        )
    if meeting.is_thematic and not ((meeting.topic or "").strip() or meeting.topic_group):
        errors.append(Problem("topic", _("A thematic meeting needs its topic."), "part-plan"))

    # Attendance adds up: every line marked, every excused absence with its reason.
    if not attendance:
        errors.append(Problem("roster", _("The attendance list is empty."), "part-attendance"))
    unmarked = [line for line in attendance if line.presence == Presence.UNMARKED]
    if unmarked:
        errors.append(Problem(
            "attendance",
            _("Attendance does not add up: %(n)s of %(total)s members are not marked (%(names)s).")
            % {"n": len(unmarked), "total": len(attendance),
               "names": ", ".join(line.member.full_name for line in unmarked[:5])},
            "part-attendance",
        ))  # fmt: skip
    no_reason = [
        line for line in attendance
        if line.presence == Presence.ABSENT_EXCUSED and not line.reason.strip()
    ]  # fmt: skip
    if no_reason:
        errors.append(Problem(
            "absence-reason",
            _("Write the reason of each absence with reason (%(names)s).")
            % {"names": ", ".join(line.member.full_name for line in no_reason[:5])},
            "part-attendance",
        ))  # fmt: skip

    # Every discussion item: at least one speech and a conclusion with content.
    for section in sections:
        anchor = f"section-{section.pk}"
        if section.content == SectionContent.DISCUSSION:
            if not section.speeches.all():
                errors.append(Problem(
                    "speech", _("“%(title)s”: no speech is recorded.") % {"title": section.title},
                    anchor,
                ))  # fmt: skip
            if not section.conclusion.strip():
                errors.append(Problem(
                    "conclusion",
                    _("“%(title)s”: the chair's conclusion is missing.") % {"title": section.title},
                    anchor,
                ))  # fmt: skip
            elif not has_content(section.conclusion):
                errors.append(Problem(
                    "vague-conclusion",
                    _("“%(title)s”: the conclusion only says that the cell agreed. Write what was "
                      "concluded: what will be done, by whom, by when.") % {"title": section.title},
                    anchor,
                ))  # fmt: skip
        elif section.content == SectionContent.TEXT and section.required:
            if not section.text.strip():
                errors.append(Problem(
                    "section-empty",
                    _("“%(title)s” is required and still empty.") % {"title": section.title},
                    anchor,
                ))  # fmt: skip

    # The resolution and its vote.
    count = vote_count(attendance)
    if SectionContent.RESOLUTION in contents and not preparatory:
        if not has_content(meeting.resolution_text):
            errors.append(Problem(
                "resolution",
                _("Write the resolution (or conclusion) of the meeting: what the cell decided."),
                "part-resolution",
            ))  # fmt: skip
        vote = votes.get(VoteSubject.RESOLUTION)
        if vote is None:
            errors.append(
                Problem(
                    "resolution-vote", _("Record the vote on the resolution."), "part-resolution"
                )
            )
        else:
            cast = vote.votes_for + vote.votes_against + vote.votes_abstain
            if cast > count.voters_present:
                errors.append(Problem(
                    "vote-too-many",
                    _("%(cast)s votes are recorded but only %(present)s official members with a "
                      "vote are present.") % {"cast": cast, "present": count.voters_present},
                    "part-resolution",
                ))  # fmt: skip
            elif vote.votes_for < count.needed:
                errors.append(Problem(
                    "vote-fails",
                    _("The resolution did not pass: %(for)s votes for, it needs more than half of "
                      "the %(counted)s counted official members (at least %(needed)s).")
                    % {"for": vote.votes_for, "counted": count.counted, "needed": count.needed},
                    "part-resolution",
                ))  # fmt: skip

    # A regular meeting gives tasks to named members, with deadlines.
    if meeting.kind in REGULAR_KINDS and not any(
        a.deadline and a.assignees.all() for a in assignments
    ):
        errors.append(Problem(
            "assignment",
            _("A regular meeting must assign at least one task to a named member, with a deadline."),
            "part-assignments",
        ))  # fmt: skip
    undated = [a for a in assignments if a.deadline is None]
    if undated:
        errors.append(Problem(
            "assignment-deadline",
            _("Every task needs a deadline (%(n)s without one).") % {"n": len(undated)},
            "part-assignments",
        ))  # fmt: skip

    # Approval of the minutes.
    if SectionContent.APPROVAL in contents:
        approval = votes.get(VoteSubject.MINUTES)
        if approval is None:
            errors.append(Problem(
                "approval", _("Record the vote approving the minutes."), "part-approval"
            ))  # fmt: skip
        elif approval.votes_for <= approval.votes_against:
            errors.append(Problem(
                "approval-fails",
                _("The minutes were not approved: correct them and vote again."),
                "part-approval",
            ))  # fmt: skip

    errors.extend(signals.collected_problems(meeting))
    if not preparatory:
        warnings.extend(_soft_rules(meeting, attendance))
    return errors, warnings


def _soft_rules(meeting: Meeting, attendance) -> list[Problem]:
    rules = rulebook_for(meeting.unit, meeting.date)
    found: list[Problem] = []
    minutes = duration_minutes(meeting)
    minimum = (
        rules.min_minutes_combined if meeting.kind == MeetingKind.COMBINED
        else rules.min_minutes_regular
    )  # fmt: skip
    if minutes is not None and minutes < minimum:
        found.append(Problem(
            "short",
            _("The meeting lasted %(minutes)s minutes; %(rulebook)s asks for at least %(minimum)s.")
            % {"minutes": minutes, "minimum": minimum, "rulebook": rules.name},
            "part-people",
        ))  # fmt: skip
    deadline = meeting.date - datetime.timedelta(days=rules.document_lead_days)
    if meeting.announced_at is None:
        found.append(Problem(
            "not-announced",
            _("The meeting was never announced to the members in chibo."),
            "part-plan",
        ))  # fmt: skip
    elif _local_date(meeting.announced_at) > deadline:
        found.append(Problem(
            "late-announcement",
            _("Documents went out on %(sent)s; %(rulebook)s asks for at least %(days)s day(s) "
              "before the meeting.")
            % {"sent": _local_date(meeting.announced_at).strftime("%d/%m/%Y"),
               "days": rules.document_lead_days, "rulebook": rules.name},
            "part-plan",
        ))  # fmt: skip
    rate = attendance_rate(attendance)
    if rate is not None and rate * 100 < rules.attendance_threshold:
        found.append(Problem(
            "low-attendance",
            _("Attendance was %(rate)s%%, under the threshold of %(threshold)s%%.")
            % {"rate": round(rate * 100), "threshold": rules.attendance_threshold},
            "part-attendance",
        ))  # fmt: skip
    return found


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()
