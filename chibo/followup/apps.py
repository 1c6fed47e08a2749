from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "chibo.followup"
    label = "followup"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        from chibo.meetings import demo as meetings_demo
        from chibo.meetings import signals

        from . import demo, receivers, services

        signals.finalise_problems.connect(receivers.finalise_problems, dispatch_uid="followup")
        signals.record_parts.connect(receivers.record_parts, dispatch_uid="followup")
        signals.meeting_finalised.connect(services.on_meeting_finalised, dispatch_uid="followup")
        if demo.review_tasks not in meetings_demo.BEFORE_FINALISE:
            meetings_demo.BEFORE_FINALISE.append(demo.review_tasks)
