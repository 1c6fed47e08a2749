from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin

from .models import ReviewDecision
from .services import NOTE_MAX_LENGTH

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ReviewDecision.choices,
                                 error_messages={"required": _("Choose what the meeting decides."),
                                                 "invalid_choice": _("Choose what the meeting decides.")})  # fmt: skip
    new_deadline = forms.DateField(label=_("New deadline"), required=False, widget=DATE,
                                   error_messages={"invalid": _("Enter a valid date.")})  # fmt: skip
    note = forms.CharField(label=_("Assessment"), required=False, max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReportForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("What has been done"), max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("Write what has been done.")})  # fmt: skip
    done = forms.BooleanField(label=_("The task is done"), required=False)


STATES = [
    ("", _("All")),
    ("active", _("To be done")),
    ("overdue", _("Overdue")),
    ("done", _("Done")),
    ("carried", _("Carried over")),
    ("dropped", _("Dropped")),
]


class TaskFilterForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(label=_("Status"), choices=STATES, required=False)
