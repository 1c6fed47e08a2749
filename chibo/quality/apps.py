from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "chibo.quality"
    verbose_name = _("Meeting quality")

    def ready(self) -> None:
        from chibo.meetings import signals

        from . import services

        signals.meeting_finalised.connect(services.on_meeting_finalised, dispatch_uid="quality")
