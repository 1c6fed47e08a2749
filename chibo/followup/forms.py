from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chibo.org.forms import BootstrapMixin, UnitCodeField

from .models import InspectionKind, ReviewDecision
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


class FollowerForm(BootstrapMixin, forms.Form):
    """An officer gives a committee member a cell to follow (the attendee role), for a term."""

    username = forms.CharField(label=_("Account (username)"), max_length=150)
    cell = UnitCodeField(label=_("Cell (code)"), cells_only=True)
    title = forms.CharField(label=_("Position, as written in the minutes"), required=False,
                            max_length=255)  # fmt: skip
    valid_until = forms.DateField(label=_("Until (empty: no end)"), required=False, widget=DATE,
                                  error_messages={"invalid": _("Enter a valid date.")})  # fmt: skip

    def __init__(self, *args, users=None, cells=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users
        self.fields["cell"].queryset = cells

    def clean_username(self):
        user = self.users.filter(username__iexact=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError(
                _("No account with this username in your part of the tree.")
            )
        return user


class CoverageForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, required=False,
                                     choices=[(q, q) for q in (1, 2, 3, 4)])  # fmt: skip
    show = forms.ChoiceField(label=_("Show"), required=False, choices=[
        ("", _("Every cell")), ("uncovered", _("No upper-level attendee this quarter")),
        ("never", _("Never had an upper-level attendee")),
    ])  # fmt: skip


class ProposalForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=255)
    text = forms.CharField(label=_("Proposal"), widget=forms.Textarea(attrs={"rows": 4}))
    meeting = forms.TypedChoiceField(label=_("Raised at the meeting"), required=False, coerce=int,
                                     empty_value=None)  # fmt: skip
    raised_by = forms.TypedChoiceField(label=_("Raised by (a member, through the secretary)"),
                                       required=False, coerce=int, empty_value=None)  # fmt: skip

    def __init__(self, *args, meetings=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [("", "—")] + [
            (m.pk, f"{m.get_kind_display()} {m.date:%d/%m/%Y}") for m in meetings
        ]
        self.fields["raised_by"].choices = [("", "—")] + [(m.pk, m.full_name) for m in members]


class ProposalActionForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(choices=[("answer", _("Answer")), ("forward", _("Forward up")),
                                        ("reject", _("Reject"))], widget=forms.HiddenInput)  # fmt: skip
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the text.")})  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProposalFilterForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), ("waiting", _("Awaiting this level's answer")),
        ("pending", _("Awaiting an answer (any level)")), ("overdue", _("Overdue")),
        ("answered", _("Answered")), ("rejected", _("Rejected")),
    ])  # fmt: skip


class InspectionPlanForm(BootstrapMixin, forms.Form):
    target = UnitCodeField(label=_("Unit inspected (code)"))
    kind = forms.ChoiceField(label=pgettext_lazy("inspection", "Kind"), choices=InspectionKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=500)
    planned_month = forms.TypedChoiceField(label=_("Month"), coerce=int,
                                           choices=[(m, m) for m in range(1, 13)])  # fmt: skip
    period_start = forms.DateField(label=_("Period from"), widget=DATE)
    period_end = forms.DateField(label=_("Period until"), widget=DATE)
    team = forms.CharField(
        label=_("Team"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = units


class InspectionRecordForm(BootstrapMixin, forms.Form):
    team = forms.CharField(
        label=_("Team"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    findings = forms.CharField(label=_("Findings: strengths and shortcomings"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    conclusion = forms.CharField(label=_("Conclusion"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    notice_number = forms.CharField(label=_("Notice number (e.g. 05-TB/ĐU)"), required=False,
                                    max_length=32)  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)


class FixForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("What must be fixed"),
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)


class FixDoneForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("How it was fixed"), widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("Say how it was fixed.")})  # fmt: skip
