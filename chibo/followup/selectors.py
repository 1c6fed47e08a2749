"""Reads of tasks shared by the UI, the API and the minutes. Access: a task is visible to
whoever sees the finalised minutes it comes from (`meetings.selectors.visible_meetings`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.accounts.access import MANAGE_ROLES, READ_ROLES, Scope
from chibo.accounts.models import Grant, Role
from chibo.meetings.models import REGULAR_KINDS, Meeting, MeetingStatus
from chibo.meetings.selectors import visible_meetings
from chibo.org.models import CELL_KINDS, Member, Position, Unit

from .models import (
    ACTIVE_STATUSES,
    Fix,
    Inspection,
    InspectionStatus,
    Proposal,
    ProposalStatus,
    ReviewDecision,
    Task,
    TaskReport,
    TaskReview,
    TaskStatus,
)

COMMITTEE_POSITIONS = (Position.SECRETARY, Position.DEPUTY, Position.COMMITTEE)


def _with_people(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related("cell", "meeting").prefetch_related(
        Prefetch("assignees", queryset=Member.objects.order_by("sort_key", "id"))
    )


def visible_tasks(scope: Scope) -> QuerySet[Task]:
    return _with_people(Task.objects.filter(meeting__in=visible_meetings(scope).values("pk")))


def get_task(scope: Scope, pk: int) -> Task:
    task = visible_tasks(scope).filter(pk=pk).first()
    if task is None:
        raise Http404
    return task


def _member(scope: Scope) -> Member | None:
    if scope.member_id is None:
        return None
    return Member.objects.filter(pk=scope.member_id).only("pk", "cell_id", "position").first()


def my_tasks(scope: Scope, *, member: Member | None = None) -> QuerySet[Task]:
    """Tasks given to the user's member record, or to the committee of the cell where the
    user sits on the committee. Still-active ones first, by deadline. `member`: the user's
    member record when the caller has it already."""
    if member is None or member.pk != scope.member_id:
        member = _member(scope)
    if member is None:
        return Task.objects.none()
    mine = Q(assignees=member)
    if member.position in COMMITTEE_POSITIONS:
        mine |= Q(to_committee=True, cell_id=member.cell_id)
    ids = Task.objects.filter(mine).values("pk")
    return visible_tasks(scope).filter(pk__in=ids).order_by("deadline", "id")


def can_report(scope: Scope, task: Task) -> bool:
    """The cell's secretary and clerk, the members the task is given to, and for a task of
    the committee its members."""
    if not task.is_active:
        return False
    if scope.can_record_meeting(task.cell):
        return True
    member = _member(scope)
    if member is None:
        return False
    if any(m.pk == member.pk for m in task.assignees.all()):
        return True
    return (
        task.to_committee
        and member.cell_id == task.cell_id
        and member.position in COMMITTEE_POSITIONS
    )


def filter_state(tasks: QuerySet[Task], state: str) -> QuerySet[Task]:
    """ "active" (still to be done), "overdue" (and past the deadline, local date), a status,
    or "" for all."""
    if state == "active":
        return tasks.filter(status__in=ACTIVE_STATUSES)
    if state == "overdue":
        return tasks.filter(status__in=ACTIVE_STATUSES, deadline__lt=timezone.localdate())
    if state in TaskStatus.values:
        return tasks.filter(status=state)
    return tasks


def cell_tasks(scope: Scope, cell, *, state: str = "") -> QuerySet[Task]:
    """Tasks still to be done first, most urgent first; then closed ones, newest first."""
    active = Q(status__in=ACTIVE_STATUSES)
    return (
        filter_state(visible_tasks(scope).filter(cell=cell), state)
        .annotate(
            closed=Case(When(active, then=Value(0)), default=Value(1)),
            due=Case(When(active, then=F("deadline"))),
        )  # fmt: skip
        .order_by("closed", "due", "-deadline", "-id")
    )


def task_history(task: Task) -> tuple[list[TaskReport], list[TaskReview]]:
    reports = list(task.reports.select_related("author", "member"))
    reviews = list(
        task.reviews.filter(meeting__status=MeetingStatus.FINALISED).select_related("meeting")
    )
    return reports, reviews


# --- completion per month ---------------------------------------------------------------------
@dataclass(frozen=True)
class MonthCompletion:
    month: datetime.date
    due: int
    done: int
    done_on_time: int
    dropped: int

    @property
    def rate(self) -> float | None:
        counted = self.due - self.dropped
        return self.done / counted if counted else None


def completion_by_month(cell, *, months: int = 12, today: datetime.date | None = None
                        ) -> list[MonthCompletion]:  # fmt: skip
    """For each of the last `months` months (this one included): the tasks whose deadline set
    at the meeting fell in it, how many are done, done by that deadline, and dropped. One query.
    """
    today = today or timezone.localdate()
    first = today.replace(day=1)
    for _step in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    rows = (
        Task.objects.filter(cell=cell, original_deadline__gte=first, original_deadline__lte=today)
        .annotate(month=TruncMonth("original_deadline"))
        .values("month")
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(status=TaskStatus.DONE)),
            on_time=Count(
                "pk", filter=Q(status=TaskStatus.DONE, closed_on__lte=F("original_deadline"))
            ),  # fmt: skip
            dropped=Count("pk", filter=Q(status=TaskStatus.DROPPED)),
        )
    )
    by_month = {_as_date(r["month"]): r for r in rows}
    result = []
    month = first
    while month <= today:
        r = by_month.get(month, {})
        result.append(MonthCompletion(month, r.get("due", 0), r.get("done", 0),
                                      r.get("on_time", 0), r.get("dropped", 0)))  # fmt: skip
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return result


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# --- reviews in a meeting ---------------------------------------------------------------------
def tasks_to_review(meeting: Meeting) -> QuerySet[Task]:
    """The tasks a regular meeting reviews: those of the cell's earlier meetings still to be
    done, those done since its previous finalised meeting, and any it has a review of."""
    if meeting.kind not in REGULAR_KINDS:
        return Task.objects.none()
    previous = (
        Meeting.objects.filter(
            unit_id=meeting.unit_id,
            status=MeetingStatus.FINALISED,
            kind__in=REGULAR_KINDS,
            date__lt=meeting.date,
        )  # fmt: skip
        .order_by("-date")
        .values("date")[:1]
    )
    reviewed_here = TaskReview.objects.filter(meeting=meeting, task=OuterRef("pk"))
    # Done since the previous meeting, or given there and done before it met again.
    recently_closed = Q(status=TaskStatus.DONE) & (
        Q(closed_on__gt=Subquery(previous)) | Q(meeting__date__gte=Subquery(previous))
    )
    return Task.objects.filter(cell_id=meeting.unit_id, meeting__date__lt=meeting.date).filter(
        Q(status__in=ACTIVE_STATUSES) | recently_closed | Exists(reviewed_here)
    )


@dataclass
class ReviewLine:
    task: Task
    review: TaskReview | None
    needs_decision: bool  # due by the meeting's date and still to be done


def review_lines(meeting: Meeting) -> list[ReviewLine]:
    tasks = list(_with_people(tasks_to_review(meeting)).order_by("deadline", "id"))
    reviews = {r.task_id: r for r in TaskReview.objects.filter(meeting=meeting)}
    return [
        ReviewLine(
            task=t,
            review=reviews.get(t.pk),
            needs_decision=t.is_active and t.deadline <= meeting.date,
        )  # fmt: skip
        for t in tasks
    ]


def meeting_reviews(meeting: Meeting) -> list[TaskReview]:
    """The meeting's decisions, in the order the tasks were given."""
    assignees = Prefetch("task__assignees", queryset=Member.objects.order_by("sort_key", "id"))
    return list(
        TaskReview.objects.filter(meeting=meeting)
        .select_related("task__meeting")
        .prefetch_related(assignees)
        .order_by("task__meeting__date", "task_id")
    )


def unreviewed_due(meeting: Meeting) -> list[Task]:
    """Due tasks with no decision that closes or carries them: finalisation refuses these."""
    return [
        line.task
        for line in review_lines(meeting)
        if line.needs_decision
        and (line.review is None or line.review.decision == ReviewDecision.UNDER_WAY)
    ]


def people(task: Task) -> str:
    names = [m.full_name for m in task.assignees.all()]
    if task.to_committee:
        names.insert(0, _("the cell committee"))
    return ", ".join(names)


# --- upper-level attendance -------------------------------------------------------------------
def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    first = datetime.date(year, 3 * quarter - 2, 1)
    after = datetime.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return first, after - datetime.timedelta(days=1)


def current_quarter(today: datetime.date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    return today.year, (today.month - 1) // 3 + 1


def followers(unit) -> QuerySet[Grant]:
    """The upper-level attendees following the cells of the unit's subtree now."""
    return (
        Grant.objects.current()
        .filter(role=Role.ATTENDEE, unit__path__startswith=unit.path)
        .select_related("user__member", "unit", "created_by")
        .order_by("unit__path", "user__username")
    )


def followed_cells(user) -> list[Grant]:
    """The attendee's own grants, each with the cell's next meeting and the last one the user
    attended. A fixed number of queries."""
    grants = list(
        Grant.objects.current().filter(user=user, role=Role.ATTENDEE).select_related("unit")
    )
    today = timezone.localdate()
    cells = [g.unit_id for g in grants]
    upcoming = (
        Meeting.objects.filter(unit_id__in=cells, date__gte=today)
        .exclude(status__in=[MeetingStatus.CANCELLED, MeetingStatus.FINALISED])
        .order_by("unit_id", "date", "start_time")
    )
    next_by_cell: dict[int, Meeting] = {}
    for meeting in upcoming:
        next_by_cell.setdefault(meeting.unit_id, meeting)
    attended = (
        Meeting.objects.filter(unit_id__in=cells, guests__user=user)
        .order_by("unit_id", "-date")
        .values_list("unit_id", "date")
    )
    last_by_cell: dict[int, datetime.date] = {}
    for unit_id, day in attended:
        last_by_cell.setdefault(unit_id, day)
    for grant in grants:
        grant.next_meeting = next_by_cell.get(grant.unit_id)
        grant.last_attended = last_by_cell.get(grant.unit_id)
    return grants


COVERAGE_FILTERS = ("", "uncovered", "never")


def coverage(unit, *, first: datetime.date, last: datetime.date, show: str = "") -> QuerySet[Unit]:
    """The active cells under `unit`, each with whether a finalised meeting in [first, last] had
    an upper-level attendee, the last date one ever had, and how many finalised meetings the
    period holds. `show`: "uncovered" (none this period) or "never" (none ever). One query."""
    with_attendee = Meeting.objects.filter(
        unit=OuterRef("pk"), status=MeetingStatus.FINALISED, guests__is_upper_attendee=True
    )
    in_period = Meeting.objects.filter(
        unit=OuterRef("pk"), status=MeetingStatus.FINALISED, date__range=(first, last)
    )
    cells = (
        Unit.objects.filter(path__startswith=unit.path, kind__in=CELL_KINDS, is_active=True)
        .annotate(
            covered=Exists(with_attendee.filter(date__range=(first, last))),
            last_attended=Subquery(with_attendee.order_by("-date").values("date")[:1]),
            meetings_in_period=Subquery(
                in_period.order_by().values("unit").annotate(n=Count("pk")).values("n")[:1]
            ),
        )
        .order_by("path")
    )
    if show == "uncovered":
        cells = cells.filter(covered=False)
    elif show == "never":
        cells = cells.filter(last_attended__isnull=True)
    return cells


@dataclass(frozen=True)
class CoverageTotals:
    cells: int
    covered: int
    never: int


def coverage_totals(unit, *, first: datetime.date, last: datetime.date) -> CoverageTotals:
    # Counted here rather than with filtered aggregates over the annotations, which Django
    # (5.2, SQLite) gets wrong when several are combined. One query, two columns per cell.
    rows = list(coverage(unit, first=first, last=last).values_list("covered", "last_attended"))
    return CoverageTotals(
        cells=len(rows),
        covered=sum(1 for covered, _last in rows if covered),
        never=sum(1 for _covered, last_day in rows if last_day is None),
    )


# --- proposals --------------------------------------------------------------------------------
PROPOSAL_STATES = ("waiting", "pending", "overdue", "answered", "rejected")
# Age buckets (days since sent) for the officers' overview of open proposals.
AGE_BUCKETS = (30, 60)


def visible_proposals(scope: Scope) -> QuerySet[Proposal]:
    """A proposal is seen by its cell (members included) and by every level above it — the
    levels on its path are all above the cell."""
    return Proposal.objects.filter(Scope._prefix_q("cell__path", scope.paths())).select_related(
        "cell", "current_unit"
    )


def get_proposal(scope: Scope, pk: int) -> Proposal:
    proposal = visible_proposals(scope).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


def can_act_on_proposal(scope: Scope, proposal: Proposal) -> bool:
    """The organisation board of the level holding it (or a level above) answers, forwards or
    rejects it."""
    return proposal.status == ProposalStatus.PENDING and scope.can_manage_unit(
        proposal.current_unit
    )


def unit_proposals(scope: Scope, unit, *, state: str = "") -> QuerySet[Proposal]:
    """Proposals of the cells under `unit`. `waiting`: pending with this unit itself."""
    proposals = visible_proposals(scope).filter(cell__path__startswith=unit.path)
    today = timezone.localdate()
    if state == "waiting":
        proposals = proposals.filter(status=ProposalStatus.PENDING, current_unit=unit)
    elif state == "pending":
        proposals = proposals.filter(status=ProposalStatus.PENDING)
    elif state == "overdue":
        proposals = proposals.filter(status=ProposalStatus.PENDING, due_on__lt=today)
    elif state in ProposalStatus.values:
        proposals = proposals.filter(status=state)
    if state in ("waiting", "pending", "overdue"):
        return proposals.order_by("created_at", "id")  # oldest first
    return proposals.order_by("-created_at", "-id")


@dataclass
class OpenProposals:
    unit: Unit
    total: int
    overdue: int
    by_age: tuple[int, ...]  # within 30 days, 30–60, over 60


def open_proposals_by_child(scope: Scope, unit, *, today: datetime.date | None = None
                            ) -> list[OpenProposals]:  # fmt: skip
    """For each child of `unit` the user sees: pending proposals of its cells, how many are
    overdue, and their age. Two queries whatever the number of proposals."""
    today = today or timezone.localdate()
    depth = len(unit.path) + Unit.steplen
    children = list(
        Unit.objects.filter(scope.units_q(), path__startswith=unit.path, depth=unit.depth + 1)
        .order_by("path")
    )  # fmt: skip
    young = today - datetime.timedelta(days=AGE_BUCKETS[0])
    old = today - datetime.timedelta(days=AGE_BUCKETS[1])
    rows = (
        visible_proposals(scope)
        .filter(status=ProposalStatus.PENDING, cell__path__startswith=unit.path)
        .annotate(child=Substr("cell__path", 1, depth))
        .values("child")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            fresh=Count("pk", filter=Q(created_at__date__gt=young)),
            stale=Count("pk", filter=Q(created_at__date__lte=old)),
        )
    )
    by_child = {r["child"]: r for r in rows}
    result = []
    for child in children:
        r = by_child.get(child.path)
        if r is None:
            result.append(OpenProposals(child, 0, 0, (0, 0, 0)))
            continue
        middle = r["total"] - r["fresh"] - r["stale"]
        result.append(OpenProposals(child, r["total"], r["overdue"],
                                    (r["fresh"], middle, r["stale"])))  # fmt: skip
    return result


# --- inspections ------------------------------------------------------------------------------
def visible_inspections(scope: Scope) -> QuerySet[Inspection]:
    """The committee's organisation board (and those above) see its inspections from the plan
    on; the inspected unit's secretary, clerk and the officers above it see them once the
    conclusion is issued. Plain members do not."""
    makers = Scope._prefix_q("committee__path", scope.paths(MANAGE_ROLES))
    readers = Scope._prefix_q("target__path", scope.paths(READ_ROLES)) & Q(
        status=InspectionStatus.CONCLUDED
    )
    return Inspection.objects.filter(makers | readers).select_related("committee", "target")


def get_inspection(scope: Scope, pk: int) -> Inspection:
    inspection = visible_inspections(scope).filter(pk=pk).first()
    if inspection is None:
        raise Http404
    return inspection


def can_edit_inspection(scope: Scope, inspection: Inspection) -> bool:
    return inspection.status == InspectionStatus.PLANNED and scope.can_manage_unit(
        inspection.committee
    )


def can_report_fix(scope: Scope, inspection: Inspection) -> bool:
    """The inspected unit's secretary, or the committee's organisation board."""
    return inspection.status == InspectionStatus.CONCLUDED and (
        scope.can_plan_meetings(inspection.target) or scope.can_manage_unit(inspection.committee)
    )


def unit_inspections(scope: Scope, unit, *, year: int | None = None) -> QuerySet[Inspection]:
    """A committee's plan (inspections it makes) and the inspections of the unit itself."""
    inspections = visible_inspections(scope).filter(Q(committee=unit) | Q(target=unit))
    if year is not None:
        inspections = inspections.filter(year=year)
    fixes = Prefetch("fixes", queryset=Fix.objects.order_by("deadline", "id"))
    return inspections.prefetch_related(fixes).order_by("year", "planned_month", "id")


# --- reminders --------------------------------------------------------------------------------
SOON_DAYS = 7
REMINDERS_PER_LIST = 20


@dataclass
class Reminders:
    my_tasks: list[Task]  # mine, overdue or due within SOON_DAYS
    cell_tasks: list[Task]  # overdue tasks of the cells I record
    proposals: list[Proposal]  # waiting at a level I answer for, overdue or due soon
    answered: list[Proposal]  # my cells' proposals answered in the last 30 days
    fixes: list[Fix]  # fixes not done, overdue or due soon: my cells' or my committees'

    @property
    def empty(self) -> bool:
        return not (self.my_tasks or self.cell_tasks or self.proposals or self.answered
                    or self.fixes)  # fmt: skip


def reminders(scope: Scope, *, today: datetime.date | None = None) -> Reminders:
    """What needs doing soon, for this user: a fixed number of queries."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=SOON_DAYS)
    limit = REMINDERS_PER_LIST
    active = Q(status__in=ACTIVE_STATUSES)
    mine = list(my_tasks(scope).filter(active, deadline__lte=soon)[:limit])
    recorder_cells = Scope._prefix_q("cell__path", scope.paths({Role.SECRETARY, Role.CLERK}))
    cell_tasks = list(
        visible_tasks(scope).filter(recorder_cells, active, deadline__lt=today)
        .order_by("deadline", "id")[:limit]
    )  # fmt: skip
    managed = Scope._prefix_q("current_unit__path", scope.paths(MANAGE_ROLES))
    proposals = list(
        visible_proposals(scope).filter(managed, status=ProposalStatus.PENDING, due_on__lte=soon)
        .order_by("due_on", "id")[:limit]
    )  # fmt: skip
    own_cells = Scope._prefix_q("cell__path", scope.paths({Role.SECRETARY}))
    answered = list(
        visible_proposals(scope).filter(own_cells, status=ProposalStatus.ANSWERED,
                                        closed_at__date__gte=today - datetime.timedelta(30))
        .order_by("-closed_at")[:limit]
    )  # fmt: skip
    fix_scope = Scope._prefix_q("inspection__target__path", scope.paths({Role.SECRETARY})) | (
        Scope._prefix_q("inspection__committee__path", scope.paths(MANAGE_ROLES))
    )
    fixes = list(
        Fix.objects.filter(fix_scope, done_on__isnull=True, deadline__lte=soon,
                           inspection__status=InspectionStatus.CONCLUDED)
        .select_related("inspection__target").order_by("deadline", "id")[:limit]
    )  # fmt: skip
    return Reminders(mine, cell_tasks, proposals, answered, fixes)
