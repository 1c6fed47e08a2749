"""Forms of the meeting pages. They parse input; the rules live in services and checks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin, DateInput

from .models import MeetingKind, MeetingStatus, Presence, TopicGroup


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _area(rows: int = 3, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class MeetingPlanForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=MeetingKind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), widget=TimeInput())
    place = forms.CharField(label=_("Place"), max_length=255)
    topic_group = forms.TypedChoiceField(
        label=_("Topic group (thematic meeting)"), choices=[("", "—")] + TopicGroup.choices,
        coerce=int, empty_value=None, required=False,
    )  # fmt: skip
    topic = forms.CharField(
        label=_("Topic"), max_length=500, required=False,
        help_text=_("Required for a thematic meeting."),
    )  # fmt: skip
    draft_report = forms.CharField(label=_("Draft report"), required=False, widget=_area(6))
    draft_resolution = forms.CharField(label=_("Draft resolution"), required=False, widget=_area(6))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        if meeting is None:
            del self.fields["version"]
            return
        # What may still change depends on how far the meeting has gone.
        self.fields["kind"].disabled = True
        if meeting.status != MeetingStatus.PLANNED:
            for name in ("date", "start_time"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Postpone the meeting to change its date or time.")
        if meeting.status == MeetingStatus.RECORDING:
            for name in ("place", "draft_report", "draft_resolution"):
                self.fields[name].disabled = True

    def changes(self) -> dict:
        """The fields this form may change, for `meeting_update_plan`."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name, field in self.fields.items()
            if name not in ("kind", "version") and not field.disabled
        }


class PostponeForm(BootstrapMixin, forms.Form):
    to_date = forms.DateField(label=_("New date"), widget=DateInput())
    to_time = forms.TimeField(label=_("New start time"), widget=TimeInput())
    reason = forms.CharField(label=_("Reason for postponing"), widget=_area(3))


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), widget=_area(3))


class LeaveRequestForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=_area(2))


class GuestForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    position = forms.CharField(label=_("Position"), max_length=255, required=False)
    is_upper_attendee = forms.BooleanField(label=_("Upper-level attendee"), required=False)


class SpeechForm(BootstrapMixin, forms.Form):
    """`speaker` is "m:<pk>" for a member on the meeting's roster or "g:<pk>" for one of its
    guests; cleaned, it is the keywords of `speech_add` ({"speaker": member, "guest": None} or
    the other way round). The posted speaker is looked up alone: saving a speech does not read
    the whole roster (the page lists the choices itself)."""

    speaker = forms.CharField(label=_("Speaker"))
    text = forms.CharField(label=_("What was said"), widget=_area(3))

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def clean_speaker(self) -> dict:
        kind, _sep, pk = self.cleaned_data["speaker"].partition(":")
        found = None
        if self.meeting is not None and pk.isascii() and pk.isdigit() and len(pk) <= 18:
            if kind == "m":
                line = self.meeting.attendance.filter(member_id=pk).select_related("member").first()
                found = line and {"speaker": line.member, "guest": None}
            elif kind == "g":
                guest = self.meeting.guests.filter(pk=pk).first()
                found = guest and {"speaker": None, "guest": guest}
        if not found:
            raise forms.ValidationError(_("Choose a member on the roster or a guest of the meeting."))
        return found


class VoteForm(BootstrapMixin, forms.Form):
    votes_for = forms.IntegerField(label=_("For"), min_value=0, max_value=10_000)
    votes_against = forms.IntegerField(label=_("Against"), min_value=0, max_value=10_000, initial=0)
    votes_abstain = forms.IntegerField(
        label=_("Not voting"), min_value=0, max_value=10_000, initial=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["inputmode"] = "numeric"


class AssignmentForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("Task"), widget=_area(2))
    assignees = forms.MultipleChoiceField(
        label=_("Assigned to"), required=False, widget=forms.CheckboxSelectMultiple
    )
    to_committee = forms.BooleanField(label=_("The cell committee"), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput(), required=False)

    def __init__(self, *args, roster, **kwargs):
        super().__init__(*args, **kwargs)
        self.roster = roster
        self.fields["assignees"].choices = [(str(a.member_id), a.member.full_name) for a in roster]
        self.fields["assignees"].widget.attrs["class"] = "form-check-input"

    def members(self) -> list:
        chosen = set(self.cleaned_data.get("assignees") or [])
        return [a.member for a in self.roster if str(a.member_id) in chosen]


class AssignmentEditForm(AssignmentForm):
    """A task changed on the recording screen; `version` is the one the user started from."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, assignment) -> dict:
        return {
            "description": assignment.description,
            "assignees": [str(m.pk) for m in assignment.assignees.all()],
            "to_committee": assignment.to_committee,
            "deadline": assignment.deadline,
            "version": assignment.version,
        }


class AttendanceForm(forms.Form):
    presence = forms.ChoiceField(choices=Presence.choices)
    reason = forms.CharField(max_length=500, required=False)
    late = forms.BooleanField(required=False)
    version = forms.IntegerField(required=False)


class AutosaveForm(forms.Form):
    """One text field saved as you type: its value, the row's version, and the value the
    browser last had from the server (to tell a real conflict from a change elsewhere)."""

    value = forms.CharField(required=False, strip=False)
    version = forms.IntegerField(required=False)
    base = forms.CharField(required=False, strip=False)


class AddendumForm(BootstrapMixin, forms.Form):
    part = forms.CharField(label=_("Part of the minutes corrected"), max_length=255)
    text = forms.CharField(label=_("Correction"), widget=_area(3))
    reason = forms.CharField(label=_("Why"), widget=_area(2))


class FinaliseForm(BootstrapMixin, forms.Form):
    """One reason field per warning of the rulebook: acknowledging it keeps the reason."""

    def __init__(self, *args, warnings, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings = warnings
        for warning in warnings:
            self.fields[f"ack_{warning.code}"] = forms.CharField(
                label=_("Reason"), max_length=500, required=False,
                widget=_area(2, **{"class": "form-control"}),
            )  # fmt: skip

    def acknowledgements(self) -> dict[str, str]:
        data = self.cleaned_data
        return {w.code: data.get(f"ack_{w.code}", "") for w in self.warnings}

    def warning_fields(self):
        return [(w, self[f"ack_{w.code}"]) for w in self.warnings]
