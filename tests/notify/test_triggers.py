"""Each trigger tells the right people once, in the app and by e-mail where they want it."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from chibo.documents import services as documents
from chibo.followup import services as followup
from chibo.followup.models import Proposal, Task
from chibo.meetings import services as meetings
from chibo.notify import events, services, worker
from chibo.notify.models import (
    ChannelChoice,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    PeriodicRun,
)

from ..followup.conftest import finalise, recorded
from ..meetings.conftest import plan
from .conftest import kinds_of, run_jobs

pytestmark = pytest.mark.django_db


def announce(world, day):
    meeting = plan(world, day=day)
    return meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def test_announcing_tells_the_cell_in_the_app_and_by_e_mail(addresses):
    world = addresses
    meeting = announce(world, in_days(5))
    assert Notification.objects.count() == 0  # queued with the change, run by the worker
    run_jobs()
    told = set(Notification.objects.filter(kind=Kind.MEETING_ANNOUNCED).values_list("user__username", flat=True))
    assert told == {"member_a", "secretary_a"}
    assert set(Notification.objects.values_list("province", flat=True)) == {world.p.pk}
    assert set(Delivery.objects.values_list("province", flat=True)) == {world.p.pk}
    assert {m.to[0] for m in mail.outbox} == {"member_a@example.vn", "secretary_a@example.vn"}
    message = mail.outbox[0]
    assert "Chi bộ thôn Ấp Đông" in message.subject and meeting.date.strftime("%d/%m/%Y") in message.subject
    assert f"/meetings/{meeting.pk}/" in message.body
    assert message.extra_headers["Message-ID"].startswith("<chibo-delivery-")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_moving_an_announced_meeting_tells_again_with_the_new_date(addresses):
    world = addresses
    meeting = announce(world, in_days(5))
    run_jobs()
    meetings.meeting_postpone(meeting=meeting, by=world.users["secretary_a"], to_date=in_days(9),
                              to_time=datetime.time(19, 30), reason="Trùng lịch họp xã")  # fmt: skip
    run_jobs()
    mine = Notification.objects.filter(user=world.users["member_a"], kind=Kind.MEETING_ANNOUNCED)
    assert mine.count() == 2
    assert {n.params["time"] for n in mine} == {"14:00", "19:30"}


def test_a_rolled_back_change_queues_nothing(addresses):
    world = addresses
    meeting = plan(world, day=in_days(5))
    with pytest.raises(RuntimeError), transaction.atomic():
        meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
        raise RuntimeError
    assert run_jobs() == 0
    assert Notification.objects.count() == 0


def test_e_mail_choice_per_kind_keeps_the_in_app_notification(addresses):
    world = addresses
    member = world.users["member_a"]
    services.choices_save(user=member, enabled={(Kind.DOCUMENTS_ADDED, "email")})
    announce(world, in_days(5))
    run_jobs()
    assert kinds_of(member) == [Kind.MEETING_ANNOUNCED]
    assert [m.to[0] for m in mail.outbox] == ["secretary_a@example.vn"]
    assert ChannelChoice.objects.get(user=member, kind=Kind.MEETING_ANNOUNCED).enabled is False
    assert services.choices_of(member)[(Kind.DOCUMENTS_ADDED, "email")] is True


def test_member_e_mail_is_used_when_the_account_has_none(world):
    world.hoa.email = "hoa@example.vn"
    world.hoa.save()
    announce(world, in_days(5))
    run_jobs()
    assert [m.to[0] for m in mail.outbox] == ["hoa@example.vn"]


def test_reminder_the_day_before_only_for_announced_meetings_and_only_once(addresses):
    world = addresses
    today = timezone.localdate()
    announced = announce(world, today + datetime.timedelta(days=1))
    plan(world, day=today + datetime.timedelta(days=1), topic="Chưa thông báo")  # planned only
    run_jobs()
    mail.outbox.clear()
    assert events.meetings_tomorrow(today) == 2
    assert events.meetings_tomorrow(today) == 0  # a second run creates nothing
    tomorrow = Notification.objects.filter(kind=Kind.MEETING_TOMORROW)
    assert {n.params["meeting_id"] for n in tomorrow} == {announced.pk}
    assert tomorrow.count() == 2


def test_the_daily_checks_are_queued_once_a_day_from_the_reminder_hour(world, settings):
    settings.CHIBO_REMINDER_HOUR = 7
    early = timezone.make_aware(datetime.datetime(2026, 12, 5, 6, 59))
    later = timezone.make_aware(datetime.datetime(2026, 12, 5, 8, 0))
    assert worker.queue_periodic(early) == []
    assert sorted(worker.queue_periodic(later)) == ["cells_not_met", "meetings_tomorrow", "prune", "task_deadlines"]
    assert worker.queue_periodic(later) == []
    assert PeriodicRun.objects.filter(slot="2026-12-05").count() == 4
    assert DBTaskResult.objects.filter(status="READY").count() == 4
    assert run_jobs() == 4
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 4


def test_documents_reach_their_subtree_and_a_meeting_document_the_cell(addresses):
    world = addresses
    documents.document_publish(unit=world.c1, by=world.users["officer_c1"], kind="directive",
                               title="Chỉ thị về sinh hoạt", confidentiality="normal",
                               body="Các chi bộ sinh hoạt đúng kỳ.")  # fmt: skip
    run_jobs()
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"member_a", "secretary_a", "secretary_b"}  # A and B, not D, not officers
    meeting = announce(world, in_days(5))
    documents.document_add_to_meeting(meeting=meeting, by=world.users["secretary_a"],
                                      title="Dự thảo nghị quyết", confidentiality="normal",
                                      body="Chi bộ quyết nghị…")  # fmt: skip
    run_jobs()
    drafts = Notification.objects.filter(kind=Kind.DOCUMENTS_ADDED, params__title="Dự thảo nghị quyết")
    assert set(drafts.values_list("user__username", flat=True)) == {"member_a", "secretary_a"}


def test_finalised_minutes_tell_the_cell_and_each_assignee_of_the_task(addresses):
    world = addresses
    meeting = finalise(world, recorded(world, datetime.date(2026, 10, 5)))
    run_jobs()
    assert kinds_of(world.users["member_a"]) == [Kind.MINUTES_FINALISED, Kind.TASK_ASSIGNED]
    assert kinds_of(world.users["secretary_a"]) == [Kind.MINUTES_FINALISED]
    assigned = Notification.objects.get(kind=Kind.TASK_ASSIGNED)
    task = Task.objects.get(meeting=meeting)
    assert assigned.params["task_id"] == task.pk and assigned.url == f"/tasks/{task.pk}/"


def test_task_deadlines_near_and_passed_once_per_deadline(addresses):
    world = addresses
    finalise(world, recorded(world, datetime.date(2026, 10, 5)))
    task = Task.objects.get()
    hoa = world.users["member_a"]
    assert events.task_deadlines(task.deadline - datetime.timedelta(days=8)) == 0  # not yet near
    events.task_deadlines(task.deadline - datetime.timedelta(days=3))
    events.task_deadlines(task.deadline - datetime.timedelta(days=2))
    assert Notification.objects.filter(user=hoa, kind=Kind.TASK_DUE_SOON).count() == 1
    events.task_deadlines(task.deadline + datetime.timedelta(days=1))
    assert Notification.objects.filter(user=hoa, kind=Kind.TASK_OVERDUE).count() == 1
    assert events.task_deadlines(task.deadline + datetime.timedelta(days=30)) == 0  # long past: quiet
    Task.objects.filter(pk=task.pk).update(deadline=task.deadline + datetime.timedelta(days=20))
    events.task_deadlines(task.deadline + datetime.timedelta(days=18))
    assert Notification.objects.filter(user=hoa, kind=Kind.TASK_DUE_SOON).count() == 2  # a new deadline


def test_an_answered_proposal_tells_the_cell_secretary(addresses):
    world = addresses
    proposal = followup.proposal_send(cell=world.a, by=world.users["secretary_a"], title="Sửa đường",
                                      text="Đề nghị xã hỗ trợ xi măng.")  # fmt: skip
    run_jobs()
    assert Notification.objects.count() == 0
    followup.proposal_answer(proposal=Proposal.objects.get(pk=proposal.pk), by=world.users["officer_c1"],
                             answer="Xã hỗ trợ 5 tấn xi măng.")  # fmt: skip
    run_jobs()
    answered = Notification.objects.get(kind=Kind.PROPOSAL_ANSWERED)
    assert answered.user == world.users["secretary_a"]
    assert "5 tấn" in mail.outbox[-1].body


def test_officers_hear_once_a_month_of_their_cells_not_met_by_the_deadline(addresses):
    world = addresses
    day = datetime.date(2026, 11, 16)  # the HD 42 deadline day (15) has passed
    assert events.cells_not_met(datetime.date(2026, 11, 14)) == 0
    events.cells_not_met(day)
    c1 = Notification.objects.get(user=world.users["officer_c1"], kind=Kind.CELLS_NOT_MET)
    assert c1.params["count"] == 2 and sorted(c1.params["names"]) == sorted([world.a.name, world.b.name])
    c2 = Notification.objects.get(user=world.users["officer_c2"], kind=Kind.CELLS_NOT_MET)
    assert c2.params["names"] == [world.d.name]
    events.cells_not_met(day + datetime.timedelta(days=1))
    assert Notification.objects.filter(kind=Kind.CELLS_NOT_MET).count() == 2
    assert not Notification.objects.filter(user__username__in=["member_a", "secretary_a"]).exists()


def test_a_failed_e_mail_is_tried_again_later_then_given_up(addresses, monkeypatch):
    world = addresses
    from chibo.notify import channels

    def refuse(self, message, address, contact):
        raise channels.DeliveryError("SMTP 451")

    monkeypatch.setattr(channels.EmailChannel, "send", refuse)
    announce(world, in_days(5))
    run_jobs()
    delivery = Delivery.objects.first()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() and delivery.error == "SMTP 451"
    assert services.send_due(worker_id="w") == 0  # not due yet
    for _ in range(10):
        Delivery.objects.update(next_attempt_at=None)
        services.send_due(worker_id="w")
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.FAILED, services.MAX_ATTEMPTS)}


def test_old_notifications_and_finished_jobs_are_pruned(addresses, settings):
    world = addresses
    settings.CHIBO_NOTIFICATION_DAYS = 30
    announce(world, in_days(5))
    run_jobs()
    old, recent = Notification.objects.order_by("pk")[:2]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    DBTaskResult.objects.update(finished_at=timezone.now() - datetime.timedelta(days=31))
    assert services.prune(today=timezone.localdate()) >= 1
    assert list(Notification.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Delivery.objects.filter(notification_id=old.pk).exists()
    assert not DBTaskResult.objects.exists()


def test_a_failing_job_is_logged_with_its_traceback_and_kept(addresses, monkeypatch, caplog):
    def broken(meeting_id):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(events, "meeting_announced", broken)
    announce(addresses, in_days(5))
    with caplog.at_level("ERROR", logger="chibo.worker"):
        run_jobs()
    assert "RuntimeError: hỏng" in caplog.text
    assert DBTaskResult.objects.get().status == "FAILED"


def test_leave_asked_tells_the_secretary_and_the_decision_tells_the_member(addresses):
    world = addresses
    meeting = announce(world, in_days(5))
    run_jobs()
    request = meetings.leave_request(meeting=meeting, member=world.hoa, reason="Đi công tác",
                                     by=world.users["member_a"])  # fmt: skip
    run_jobs()
    asked = Notification.objects.get(kind=Kind.LEAVE_REQUESTED)
    assert asked.user == world.users["secretary_a"] and asked.url.endswith("#leave")
    meetings.leave_request(meeting=meeting, member=world.hoa, reason="Ốm", by=world.users["member_a"])
    run_jobs()
    assert Notification.objects.filter(kind=Kind.LEAVE_REQUESTED).count() == 2  # a new reason
    meetings.leave_decide(request=request, approve=True, by=world.users["secretary_a"])
    run_jobs()
    decided = Notification.objects.get(kind=Kind.LEAVE_DECIDED)
    assert decided.user == world.users["member_a"] and decided.params["status"] == "approved"
    assert mail.outbox[-1].subject.endswith("được chấp thuận")


def test_a_comment_on_a_draft_tells_the_secretary_not_its_author(addresses):
    world = addresses
    meeting = plan(world, day=in_days(5), draft_report="Đoạn một.\n\nĐoạn hai.")
    documents.comment_add(meeting=meeting, by=world.users["member_a"], part="report", paragraph=1,
                          text="Nên thêm số liệu.")  # fmt: skip
    documents.comment_add(meeting=meeting, by=world.users["secretary_a"], part="report", paragraph=0,
                          text="Tôi sẽ sửa.")  # fmt: skip
    run_jobs()
    told = Notification.objects.get(kind=Kind.DRAFT_COMMENTED)
    assert told.user == world.users["secretary_a"] and told.params["paragraph"] == 2
    assert "#comment-" in told.url
