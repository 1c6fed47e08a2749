from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "chibo.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from chibo.meetings import signals
        from chibo.quality.services import score_changed

        from . import aggregates

        signals.meeting_finalised.connect(aggregates.on_meeting_finalised, dispatch_uid="reports")
        score_changed.connect(aggregates.on_score_changed, dispatch_uid="reports")
