"""The criteria chibo computes from a finalised meeting's record (`rulebooks.Measure`).

Each measure gives a value and the evidence it was read from, in words a secretary can check
against the minutes. A scorecard decides which measures it uses and what points each value earns.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.followup.models import ReviewDecision, TaskReview
from chibo.followup.risk import Line, compute_record
from chibo.meetings import checks
from chibo.meetings.models import (
    REGULAR_KINDS,
    Attendance,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Presence,
)
from chibo.rulebooks.models import Measure, Rulebook

# A meeting that opens within this many minutes of the announced time started on time.
START_GRACE_MINUTES = 5


@dataclass(frozen=True)
class Measured:
    value: float | None
    evidence: str


def _yes(flag: bool, evidence: str) -> Measured:
    return Measured(1.0 if flag else 0.0, evidence)


def _percent(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


def _day(d: datetime.date) -> str:
    return d.strftime("%d/%m/%Y")


class MeetingFacts:
    """What the measures read, loaded once per meeting (a fixed number of queries)."""

    def __init__(self, meeting: Meeting, rulebook: Rulebook):
        self.meeting = meeting
        self.rulebook = rulebook
        self.lines = list(meeting.attendance.all())
        self.expected = checks.expected_attendees(self.lines)
        self.present = [a for a in self.lines if a.presence == Presence.PRESENT]
        self.speakers = set(
            meeting.speeches.filter(speaker__isnull=False).values_list("speaker_id", flat=True)
        )
        self._runs: int | None = None

    def long_excused_runs(self) -> int:
        """Members on this roster whose absences with reason in a row this year, up to and
        including this meeting, exceed the limit (HD 12; the run restarts on 1 January)."""
        if self._runs is None:
            members = [a.member_id for a in self.lines]
            year_start = datetime.date(self.meeting.date.year, 1, 1)
            rows = (
                Attendance.objects.filter(
                    member_id__in=members,
                    meeting__date__gte=year_start,
                    meeting__date__lte=self.meeting.date,
                    meeting__status=MeetingStatus.FINALISED,
                )
                .exclude(meeting__kind=MeetingKind.PREPARATORY)
                .values_list("member_id", "meeting_id", "meeting__date", "meeting__kind",
                             "meeting__unit_id", "meeting__unit__name", "presence", "category")
                .order_by()
            )  # fmt: skip
            by_member: dict[int, list[Line]] = {}
            for row in rows:
                line = Line(*row)
                # Another meeting on the same day after this one is not part of "so far".
                if line.date == self.meeting.date and line.meeting_id > self.meeting.pk:
                    continue
                by_member.setdefault(line.member_id, []).append(line)
            self._runs = sum(
                1 for member_id, lines in by_member.items()
                if compute_record(member_id, self.meeting.date.year, lines,
                                  verdicts=False).longest_excused_run > 3
            )  # fmt: skip
        return self._runs


def measure(key: str, facts: MeetingFacts) -> Measured:
    meeting, rulebook = facts.meeting, facts.rulebook
    if key == Measure.HELD_BY_DEADLINE:
        if meeting.kind not in REGULAR_KINDS:
            return Measured(1.0, _("Not a regular meeting: no deadline day applies."))
        return _yes(
            meeting.date.day <= rulebook.regular_deadline_day,
            _("Held on %(date)s; the deadline is day %(day)s of the month.")
            % {"date": _day(meeting.date), "day": rulebook.regular_deadline_day},
        )
    if key == Measure.STARTED_ON_TIME:
        if meeting.actual_start is None:
            return Measured(0.0, _("The actual start time was not recorded."))
        late = (
            datetime.datetime.combine(meeting.date, meeting.actual_start)
            - datetime.datetime.combine(meeting.date, meeting.start_time)
        ).total_seconds() / 60
        return _yes(
            late <= START_GRACE_MINUTES,
            _("Announced for %(planned)s, opened at %(actual)s.")
            % {"planned": meeting.start_time.strftime("%H:%M"),
               "actual": meeting.actual_start.strftime("%H:%M")},
        )  # fmt: skip
    if key in (Measure.DURATION_MINUTES, Measure.DURATION_MET):
        minutes = checks.duration_minutes(meeting)
        if minutes is None:
            return Measured(None if key == Measure.DURATION_MINUTES else 0.0,
                            _("The start or end time was not recorded."))  # fmt: skip
        minimum = (rulebook.min_minutes_combined if meeting.kind == MeetingKind.COMBINED
                   else rulebook.min_minutes_regular)  # fmt: skip
        evidence = _("Lasted %(minutes)s minutes; the minimum is %(minimum)s.") % {
            "minutes": minutes, "minimum": minimum}  # fmt: skip
        if key == Measure.DURATION_MINUTES:
            return Measured(float(minutes), evidence)
        return _yes(minutes >= minimum, evidence)
    if key in (Measure.ATTENDANCE_RATE, Measure.ATTENDANCE_RATE_STRICT):
        rate = checks.attendance_rate(facts.lines)
        if rate is None:
            return Measured(None, _("Nobody was expected at this meeting."))
        present = sum(1 for a in facts.expected if a.presence == Presence.PRESENT)
        evidence = _("%(present)s of %(expected)s members expected were present (%(rate)s).") % {
            "present": present, "expected": len(facts.expected), "rate": _percent(rate * 100)}  # fmt: skip
        unexcused = sum(1 for a in facts.lines if a.presence == Presence.ABSENT_UNEXCUSED)
        if key == Measure.ATTENDANCE_RATE_STRICT and unexcused:
            return Measured(0.0, evidence + " " + _("%(n)s absent without reason.") % {"n": unexcused})
        return Measured(rate * 100, evidence)
    if key == Measure.UNEXCUSED_ABSENCES:
        unexcused = [a for a in facts.lines if a.presence == Presence.ABSENT_UNEXCUSED]
        return Measured(float(len(unexcused)),
                        _("%(n)s absent without reason.") % {"n": len(unexcused)})  # fmt: skip
    if key == Measure.LONG_EXCUSED_RUNS:
        n = facts.long_excused_runs()
        return Measured(float(n), _("%(n)s members absent with reason more than 3 times in a row "
                                    "this year.") % {"n": n})  # fmt: skip
    if key == Measure.SPEAKERS_SHARE:
        present = {a.member_id for a in facts.present}
        if not present:
            return Measured(None, _("Nobody was present."))
        spoke = len(present & facts.speakers)
        share = spoke * 100 / len(present)
        return Measured(share, _("%(spoke)s of %(present)s members present spoke (%(share)s).") % {
            "spoke": spoke, "present": len(present), "share": _percent(share)})  # fmt: skip
    if key in (Measure.ANNOUNCEMENT_LEAD_DAYS, Measure.ANNOUNCED_IN_TIME):
        if meeting.announced_at is None:
            return Measured(None if key == Measure.ANNOUNCEMENT_LEAD_DAYS else 0.0,
                            _("The meeting was never announced in chibo."))  # fmt: skip
        announced = timezone.localdate(meeting.announced_at)
        lead = (meeting.date - announced).days
        evidence = _("Announced on %(day)s, %(lead)s days before; at least %(need)s needed.") % {
            "day": _day(announced), "lead": lead, "need": rulebook.document_lead_days}  # fmt: skip
        if key == Measure.ANNOUNCEMENT_LEAD_DAYS:
            return Measured(float(lead), evidence)
        return _yes(lead >= rulebook.document_lead_days, evidence)
    if key == Measure.PREPARATORY_HELD:
        held = (
            meeting.preparations.exclude(status=MeetingStatus.CANCELLED)
            .filter(date__lte=meeting.date).order_by("date").first()
        )  # fmt: skip
        if held is None:
            return Measured(0.0, _("No preparatory meeting of the committee was recorded."))
        return Measured(1.0, _("The committee met to prepare on %(day)s.") % {"day": _day(held.date)})
    if key == Measure.PREVIOUS_TASKS_DONE:
        decisions = list(
            TaskReview.objects.filter(meeting=meeting)
            .exclude(decision=ReviewDecision.UNDER_WAY)
            .values_list("decision", flat=True)
        )
        if not decisions:
            return Measured(100.0, _("No task of an earlier meeting was due."))
        done = sum(1 for d in decisions if d == ReviewDecision.DONE)
        share = done * 100 / len(decisions)
        return Measured(share, _("%(done)s of %(due)s tasks due were done (%(share)s).") % {
            "done": done, "due": len(decisions), "share": _percent(share)})  # fmt: skip
    if key == Measure.UPPER_ATTENDEE_PRESENT:
        names = list(meeting.guests.filter(is_upper_attendee=True).values_list("name", flat=True))
        if not names:
            return Measured(0.0, _("No upper-level attendee was recorded."))
        return Measured(1.0, _("Upper-level attendee: %(names)s.") % {"names": ", ".join(names)})
    if key == Measure.FINALISED_ON_TIME:
        if meeting.finalised_at is None:
            return Measured(0.0, _("The minutes are not finalised."))
        finalised = timezone.localdate(meeting.finalised_at)
        late = (finalised - meeting.date).days
        return _yes(
            late <= rulebook.finalise_within_days,
            _("Finalised on %(day)s, %(days)s days after the meeting; allowed: %(allowed)s.")
            % {"day": _day(finalised), "days": late, "allowed": rulebook.finalise_within_days},
        )
    raise ValueError(f"not a computed measure: {key}")
