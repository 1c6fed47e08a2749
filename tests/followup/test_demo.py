"""The follow-up side of the demo: open, overdue, carried-over and closed tasks; answered,
forwarded, rejected and overdue proposals."""

import datetime

from django.db.models import Count

from chibo.followup.demo import load_inspections, load_proposals
from chibo.followup.models import Fix, Inspection, Proposal, ProposalStatus, Task, TaskStatus
from chibo.meetings.demo import load_meeting_history

TODAY = datetime.date(2026, 11, 22)


def test_the_demo_has_tasks_in_every_state_and_proposals(world):
    load_meeting_history(world.p, today=TODAY)
    statuses = dict(Task.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses.get(TaskStatus.DONE, 0) > 0 and statuses.get(TaskStatus.OPEN, 0) > 0
    assert Task.objects.filter(times_carried__gt=0).exists()
    assert Task.objects.filter(reviews__isnull=False).exists()
    made = load_proposals(world.p)
    assert made == Proposal.objects.count() == 3  # one per cell of the test world
    assert set(Proposal.objects.values_list("status", flat=True)) >= {
        ProposalStatus.ANSWERED, ProposalStatus.PENDING,
    }  # fmt: skip
    assert Proposal.objects.filter(steps__action="forwarded").exists()
    assert load_proposals(world.p) == 0  # idempotent


def test_the_demo_has_an_inspection_with_fixes(world):
    assert load_inspections(world.p) == 2
    concluded = Inspection.objects.get(status="concluded")
    assert concluded.content_hash and concluded.fixes.count() == 2
    assert Fix.objects.filter(done_on__isnull=False).count() == 1
    assert Inspection.objects.filter(status="planned").count() == 1
    assert load_inspections(world.p) == 0  # idempotent
