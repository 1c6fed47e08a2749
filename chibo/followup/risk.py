"""Members slipping away (issue 4, part 5): absences counted per member and calendar year.

Two counts, both read from the attendance lines of **finalised** minutes only (the roster of a
meeting is a snapshot of each member's standing on the meeting's date, so a member's history
is never recomputed from today's registry):

* **Months absent without reason** (QĐ 24-QĐ/TW, 8.1): the distinct calendar months of the year
  in which the member was absent without reason (``absent_unexcused``) from a meeting of any
  kind except the committee's preparatory meeting. A month in which the member was exempt from
  meetings (a line with the ``exempted`` standing, or marked ``exempt_absent``) does not count,
  even if another line of that month says absent. Counted per member, across cells: the lines
  of a cell the member left during the year count, and so do the lines at a cell where the
  member is temporarily attached (they are the member's absences). Three months → the cell must
  consider removal (xóa tên); two → at risk, so the secretary can act before the limit.

* **Absences with reason in a row** (HD 12-HD/BTCTW, 2018): the sequence of the member's lines
  in regular or combined (regular + thematic) meetings of the year, in date order, whatever the
  cell. An absence with reason extends the run; being present or absent without reason ends it;
  an exempt line, a line "attached elsewhere" (the member is expected at the host cell) and an
  unmarked line are skipped — they neither break nor extend the run. The run starts afresh on
  1 January. More than three in a row fails HD 12's criterion (``longest`` > 3 → over the
  limit); a run still open at three → at risk (the next absence fails it).

Party fees do not exist yet. QĐ 24 8.1 counts "months without paying the fee" the same way as
months absent without reason, as a separate count with the same limit. When fee payments are
recorded, add ``unpaid_fee_months`` to :class:`AbsenceRecord` (months of the year without a
payment, fee-exempt members and exempt months excluded), one more conditional count in
``_candidates`` and one more ``_months_level`` term in :attr:`AbsenceRecord.level`; the rows,
the API and the page already carry a list of reasons, so they need no other change.

Access: the lists go through the access policy (`chibo.accounts.access`): a unit's list needs a
reading role (clerk, secretary, attendee, officer, admin) over the unit, otherwise 404; its
rows are the members whose record those grants may open (`Scope.can_view_member_detail`
expressed as a queryset): members of the cells under the unit, and members temporarily attached
(today) to a cell under it, listed under their host and marked as attached. A member's own
record is open to the member.

Cost: five queries whatever the number of members and meetings (four for the whole
province). One reads the ids of the members in view; one grouped query over their lines of the
year keeps the candidates (members with enough absences to reach a level); one reads the
candidates' lines of the year, from which the exact figures are computed in one pass; one reads
the members listed and one their current attachments.
"""

from __future__ import annotations

import datetime
import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, F, Func, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.accounts.access import READ_ROLES, Scope
from chibo.meetings.models import (
    REGULAR_KINDS,
    Attendance,
    MeetingKind,
    MeetingStatus,
    Presence,
    RosterCategory,
)
from chibo.meetings.selectors import visible_meetings
from chibo.org.models import Member, TemporaryAttachment, Unit

# --- the rules: one place -----------------------------------------------------------------------
# The rulebook (chibo.rulebooks.Rulebook) has no field for these yet: they are constants here,
# with their source, and read only through `absence_rules()` so a rulebook field can replace
# them without touching the rest.


@dataclass(frozen=True)
class AbsenceRules:
    # QĐ 24-QĐ/TW (30/7/2021) 8.1: absent without reason (or fee unpaid) 3 months in a year →
    # the cell must consider removing the member from the rolls (xóa tên).
    unexcused_months_limit: int = 3
    unexcused_months_source: str = "QĐ 24-QĐ/TW, 8.1"
    # Warn one month before the limit.
    unexcused_months_warning: int = 2
    # HD 12-HD/BTCTW (06/7/2018): no member absent, even with reason, more than 3 times in a
    # row in the year (exempted members excluded).
    excused_run_limit: int = 3
    excused_run_source: str = "HD 12-HD/BTCTW"
    # At the limit: the next absence fails the criterion.
    excused_run_warning: int = 3

    @property
    def candidate_excused(self) -> int:
        """Fewest absences with reason in a year that can put a member on the list."""
        return min(self.excused_run_warning, self.excused_run_limit + 1)

    @property
    def candidate_months(self) -> int:
        return min(self.unexcused_months_warning, self.unexcused_months_limit)


DEFAULT_RULES = AbsenceRules()
FIRST_YEAR = 2000  # years before this are refused as input
MAX_IDS = 20_000  # longer lists of ids are passed as a subquery (SQL parameter limits)


def absence_rules(unit: Unit | None = None, year: int | None = None) -> AbsenceRules:
    """The thresholds in force for `unit` in `year` (today: the same everywhere)."""
    return DEFAULT_RULES


class RiskLevel(enum.IntEnum):
    NONE = 0
    AT_RISK = 1
    OVER_LIMIT = 2

    @property
    def code(self) -> str:
        return {0: "none", 1: "at_risk", 2: "over_limit"}[self.value]

    @property
    def label(self) -> str:
        labels = {0: _("No concern"), 1: _("At risk"), 2: _("Limit reached")}
        return str(labels[self.value])


LEVEL_CODES = {level.code: level for level in RiskLevel}


class Reason(enum.Enum):
    """Why a member is on the list (the API's `reasons`)."""

    UNEXCUSED_MONTHS = "unexcused_months"
    EXCUSED_RUN = "excused_run"


# --- one pass over a member's lines ---------------------------------------------------------------
class Line(NamedTuple):
    """One attendance line of a finalised meeting, as read for the counts."""

    member_id: int
    meeting_id: int
    date: datetime.date
    kind: str
    unit_id: int
    unit_name: str
    presence: str
    category: str

    @property
    def exempt(self) -> bool:
        return self.category == RosterCategory.EXEMPTED or self.presence == Presence.EXEMPT_ABSENT

    @property
    def is_regular(self) -> bool:
        return self.kind in REGULAR_KINDS

    @property
    def presence_label(self) -> str:
        return str(Presence(self.presence).label)

    @property
    def kind_label(self) -> str:
        return str(MeetingKind(self.kind).label)

    @property
    def category_label(self) -> str:
        return str(RosterCategory(self.category).label)


_LINE_FIELDS = (
    "member_id", "meeting_id", "meeting__date", "meeting__kind",
    "meeting__unit_id", "meeting__unit__name", "presence", "category",
)  # fmt: skip


@dataclass
class LineVerdict:
    """A line as the counts saw it (for a member's record)."""

    line: Line
    counts_month: bool = False  # an absence without reason in a month that counts
    in_run: int = 0  # position in the run of absences with reason (0: not in a run)
    skipped: bool = False  # skipped by the run (exempt, attached elsewhere, unmarked)
    breaks_run: bool = False


@dataclass
class AbsenceRecord:
    member_id: int
    year: int
    rules: AbsenceRules
    # Months (1–12) with an absence without reason that count, and those not counted because
    # the member was exempt that month.
    unexcused_months: list[int] = field(default_factory=list)
    exempt_months: list[int] = field(default_factory=list)
    excused_run: int = 0  # the run still open after the last meeting of the year so far
    longest_excused_run: int = 0
    verdicts: list[LineVerdict] = field(default_factory=list)

    @property
    def unexcused_month_count(self) -> int:
        return len(self.unexcused_months)

    @property
    def months_level(self) -> RiskLevel:
        return _months_level(self.unexcused_month_count, self.rules)

    @property
    def run_level(self) -> RiskLevel:
        if self.longest_excused_run > self.rules.excused_run_limit:
            return RiskLevel.OVER_LIMIT
        if self.excused_run >= self.rules.excused_run_warning:
            return RiskLevel.AT_RISK
        return RiskLevel.NONE

    @property
    def level(self) -> RiskLevel:
        return max(self.months_level, self.run_level)

    @property
    def reasons(self) -> list[Reason]:
        found = []
        if self.months_level:
            found.append(Reason.UNEXCUSED_MONTHS)
        if self.run_level:
            found.append(Reason.EXCUSED_RUN)
        return found

    def month_dates(self) -> list[datetime.date]:
        return [datetime.date(self.year, m, 1) for m in self.unexcused_months]

    def calendar(self) -> list[dict]:
        """The twelve months, each with what the counts made of it (for the record page)."""
        absent: set[int] = {v.line.date.month for v in self.verdicts if v.counts_month}
        exempt = set(self.exempt_months) | {v.line.date.month for v in self.verdicts
                                             if v.line.exempt}  # fmt: skip
        return [
            {"month": datetime.date(self.year, m, 1), "counted": m in absent,
             "exempt": m in exempt and m not in absent}
            for m in range(1, 13)
        ]  # fmt: skip


def _months_level(n: int, rules: AbsenceRules) -> RiskLevel:
    if n >= rules.unexcused_months_limit:
        return RiskLevel.OVER_LIMIT
    if n >= rules.unexcused_months_warning:
        return RiskLevel.AT_RISK
    return RiskLevel.NONE


def _order(line: Line) -> tuple:
    return (line.date, line.meeting_id)  # two meetings on one day: in the order planned


def compute_record(
    member_id: int,
    year: int,
    lines: Iterable[Line],
    rules: AbsenceRules = DEFAULT_RULES,
    *,
    verdicts: bool = True,
) -> AbsenceRecord:
    """The counts for one member from their lines of the year (any order; preparatory
    meetings and unfinalised meetings must already be left out). `verdicts=False` skips the
    line-by-line explanation (the lists need only the figures)."""
    record = AbsenceRecord(member_id=member_id, year=year, rules=rules)
    unexcused: dict[int, list[LineVerdict | None]] = defaultdict(list)
    exempt_months: set[int] = set()
    run = 0
    for line in sorted(lines, key=_order):
        verdict = LineVerdict(line) if verdicts else None
        if verdict is not None:
            record.verdicts.append(verdict)
        month = line.date.month
        exempt = line.category == RosterCategory.EXEMPTED or line.presence == Presence.EXEMPT_ABSENT
        if exempt:
            exempt_months.add(month)
        if line.presence == Presence.ABSENT_UNEXCUSED:
            unexcused[month].append(verdict)
        if line.kind not in REGULAR_KINDS:
            continue
        if exempt or line.presence in _SKIPPED_BY_RUN:
            if verdict is not None:
                verdict.skipped = True
        elif line.presence == Presence.ABSENT_EXCUSED:
            run += 1
            if verdict is not None:
                verdict.in_run = run
            if run > record.longest_excused_run:
                record.longest_excused_run = run
        else:
            if verdict is not None:
                verdict.breaks_run = run > 0
            run = 0
    record.excused_run = run
    record.unexcused_months = sorted(m for m in unexcused if m not in exempt_months)
    record.exempt_months = sorted(m for m in unexcused if m in exempt_months)
    for month in record.unexcused_months:
        for counted in unexcused[month]:
            if counted is not None:
                counted.counts_month = True
    return record


_SKIPPED_BY_RUN = (Presence.AWAY, Presence.UNMARKED)


# --- queries ------------------------------------------------------------------------------------
def parse_year(value, *, today: datetime.date | None = None) -> int:
    """A year from user input; ValueError with a message for the user otherwise."""
    today = today or timezone.localdate()
    text = str(value).strip() if value is not None else ""
    if not text:
        return today.year
    try:
        year = int(text)
    except ValueError:
        raise ValueError(year_error(today)) from None
    if not FIRST_YEAR <= year <= today.year:
        raise ValueError(year_error(today))
    return year


def year_error(today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    return str(
        _("Enter a year between %(first)d and %(last)d.")
        % {"first": FIRST_YEAR, "last": today.year}
    )


class _Unindexed(Func):
    """The column as is, except that SQLite may not use an index for it (the unary `+`).
    PostgreSQL's planner weighs the plans itself: there the column is left alone."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


def _lines_of(members, year: int, *, by_member: bool) -> QuerySet[Attendance]:
    """Lines of `members` (ids, or a query of members) in the finalised meetings of the year
    that count (no preparatory meeting).

    Two ways to read them, chosen by the caller because SQLite's planner cannot tell: member
    by member through the member index (`by_member`: cost grows with the members asked for
    and their whole history — right under a commune or a district), or meeting by meeting
    through the date index (cost grows with the year's meetings of the province — right for
    the whole province, whatever the length of the history). Left to itself, SQLite walks the
    year's meetings and probes each for every member asked for: seconds under a district."""
    lines = Attendance.objects.exclude(meeting__kind=MeetingKind.PREPARATORY)
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if by_member:
        return (
            lines.filter(member_id__in=members)
            .alias(day=_Unindexed(F("meeting__date")), status=_Unindexed(F("meeting__status")))
            .filter(day__gte=start, day__lte=end, status=MeetingStatus.FINALISED)
        )
    return lines.alias(who=_Unindexed(F("member_id"))).filter(
        who__in=members,
        meeting__date__gte=start,
        meeting__date__lte=end,
        meeting__status=MeetingStatus.FINALISED,
    )


def _read_lines(lines: QuerySet[Attendance]) -> list[Line]:
    return [Line(*row) for row in lines.values_list(*_LINE_FIELDS).order_by()]


def can_read_unit_list(scope: Scope, unit: Unit) -> bool:
    """Who may see a unit's members at risk: a reading role over the unit (a plain member
    may not)."""
    return scope.covers(unit.path, READ_ROLES)


def _listed_members(
    scope: Scope, unit: Unit, today: datetime.date
) -> tuple[QuerySet[Member], QuerySet[Member]]:
    """Members on the rolls whose records the caller may open, belonging under `unit` (the
    access policy's `can_view_member_detail`, as querysets): the members of its cells, and the
    members attached today to a cell under it."""
    paths = scope.paths(READ_ROLES)
    own = Member.active.filter(
        Q(cell__path__startswith=unit.path) & Scope._prefix_q("cell__path", paths)
    )
    hosts = TemporaryAttachment.objects.covering(today).filter(
        Q(host_cell__path__startswith=unit.path) & Scope._prefix_q("host_cell__path", paths)
    )
    return own, Member.active.filter(pk__in=hosts.values("member_id"))


def _candidates(members, year: int, rules: AbsenceRules, *, by_member: bool) -> QuerySet:
    """Ids of the members with enough absences in the year to reach a level (a superset:
    the exact figures come from their lines). One grouped scan of the year's lines."""
    not_exempt = ~Q(category=RosterCategory.EXEMPTED)
    excused = Q(presence=Presence.ABSENT_EXCUSED, meeting__kind__in=REGULAR_KINDS) & not_exempt
    unexcused = Q(presence=Presence.ABSENT_UNEXCUSED) & not_exempt
    return (
        _lines_of(members, year, by_member=by_member)
        .filter(presence__in=(Presence.ABSENT_EXCUSED, Presence.ABSENT_UNEXCUSED))
        .values("member_id")
        .annotate(
            excused=Count("id", filter=excused),
            months=Count(ExtractMonth("meeting__date"), filter=unexcused, distinct=True),
        )
        .filter(Q(excused__gte=rules.candidate_excused) | Q(months__gte=rules.candidate_months))
        .values("member_id")
        .order_by()
    )


@dataclass
class MemberAtRisk:
    member: Member
    record: AbsenceRecord
    # The cell the member is listed under: their own, or the host of a temporary attachment
    # when their own cell is outside the unit.
    cell: Unit
    listed_as_attached: bool
    attached_to: Unit | None  # host cell of the member's current temporary attachment

    @property
    def level(self) -> RiskLevel:
        return self.record.level


SORTS = {
    # Most urgent first: level, then months, then run, then the Vietnamese name order.
    "level": lambda r: (-r.level, -r.record.unexcused_month_count, -r.record.longest_excused_run,
                        r.member.sort_key, r.member.pk),
    "name": lambda r: (r.member.sort_key, r.member.pk),
    "cell": lambda r: (r.cell.name_folded, r.cell.pk, r.member.sort_key, r.member.pk),
    "months": lambda r: (-r.record.unexcused_month_count, -r.level, r.member.sort_key,
                         r.member.pk),
    "run": lambda r: (-r.record.run_level, -r.record.excused_run, -r.record.longest_excused_run,
                      r.member.sort_key, r.member.pk),
}  # fmt: skip
DEFAULT_SORT = "level"


def members_at_risk(
    scope: Scope,
    unit: Unit,
    year: int,
    *,
    level: RiskLevel | None = None,
    sort: str = DEFAULT_SORT,
    today: datetime.date | None = None,
) -> list[MemberAtRisk]:
    """Members under `unit` at risk (or over the limit) in `year`, most urgent first.

    `unit` must have been read through the access policy (`org.selectors.get_unit`); a caller
    without a reading role over it gets Http404. `level` keeps one level only. Five queries
    whatever the size of the subtree (four for a whole province): the members in view, the
    candidates, their lines, the members listed, their current attachments."""
    if not can_read_unit_list(scope, unit):
        raise Http404
    today = today or timezone.localdate()
    rules = absence_rules(unit, year)
    own, attached = _listed_members(scope, unit, today)
    # Under a commune or a district, member by member; the whole province, meeting by meeting
    # (see `_lines_of`). The members in view are read first as a list of ids: a planner cannot
    # estimate the access condition inside a larger query (PostgreSQL then scans every line).
    by_member = unit.depth > 1
    in_view = Member.active.filter(Q(pk__in=own.values("pk")) | Q(pk__in=attached.values("pk")))
    in_view = in_view.values("pk")
    if by_member:
        own_ids = own.values_list("pk", flat=True).order_by()
        in_view_ids = list(own_ids.union(attached.values_list("pk", flat=True).order_by()))
        if len(in_view_ids) <= MAX_IDS:
            in_view = in_view_ids
    candidates = _candidates(in_view, year, rules, by_member=by_member)
    ids = list(candidates.values_list("member_id", flat=True))
    if not ids:
        return []
    # Beyond MAX_IDS members (a degenerate year), ask by query rather than by a list of ids.
    asked = ids if len(ids) <= MAX_IDS else candidates
    by_id: dict[int, list[Line]] = defaultdict(list)
    for line in _read_lines(_lines_of(asked, year, by_member=by_member)):
        by_id[line.member_id].append(line)
    records = {}
    for pk in ids:
        record = compute_record(pk, year, by_id[pk], rules, verdicts=False)
        if record.level and (level is None or record.level == level):
            records[pk] = record
    if not records:
        return []
    shown = list(records) if len(records) <= MAX_IDS else candidates
    members = (
        Member.objects.filter(pk__in=shown)
        .select_related("cell")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=TemporaryAttachment.objects.covering(today)
                .select_related("host_cell")
                .order_by("-start", "-id"),
                to_attr="risk_attachments",
            )
        )
    )
    rows = []
    for member in members:
        if member.pk not in records:
            continue
        host = member.risk_attachments[0].host_cell if member.risk_attachments else None
        outside = not member.cell.path.startswith(unit.path) or not scope.covers(
            member.cell.path, READ_ROLES
        )
        rows.append(
            MemberAtRisk(
                member=member,
                record=records[member.pk],
                cell=host if outside and host is not None else member.cell,
                listed_as_attached=outside and host is not None,
                attached_to=host,
            )
        )
    rows.sort(key=SORTS.get(sort, SORTS[DEFAULT_SORT]))
    return rows


@dataclass
class MemberAbsences:
    """A member's record for a year, with the meetings the caller may open."""

    member: Member
    record: AbsenceRecord
    visible_meeting_ids: set[int]


def member_absence_record(scope: Scope, member: Member, year: int) -> MemberAbsences:
    """One member's counts for `year` with every line that made them; Http404 when the
    caller may not open the member's record. Two queries."""
    if not scope.can_view_member_detail(member):
        raise Http404
    lines = _read_lines(_lines_of([member.pk], year, by_member=True))
    record = compute_record(member.pk, year, lines, absence_rules(member.cell, year))
    ids = {line.meeting_id for line in lines}
    visible = (
        set(visible_meetings(scope).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    return MemberAbsences(member=member, record=record, visible_meeting_ids=visible)
