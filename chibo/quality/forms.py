from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin


class ScorerForm(BootstrapMixin, forms.Form):
    scorer = forms.ModelChoiceField(
        queryset=None, label=_("Who scores the judged criteria"),
        error_messages={"required": _("Choose someone."),
                        "invalid_choice": _("Choose someone from the list.")},
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scorer"].queryset = candidates
        self.fields["scorer"].label_from_instance = lambda u: u.display_name or u.username


class JudgeForm(BootstrapMixin, forms.Form):
    """Points and a justification for each judged criterion still open (or given already)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            criterion = line.criterion
            self.fields[f"points_{criterion.pk}"] = forms.DecimalField(
                label=_("Points (0–%(max)s)") % {"max": criterion.points}, min_value=0,
                max_value=criterion.points, decimal_places=1, required=False,
                initial=line.points,
                error_messages={"invalid": _("Enter a number of points."),
                                "max_value": _("At most %(limit_value)s points."),
                                "min_value": _("At least 0 points.")},
            )  # fmt: skip
            self.fields[f"why_{criterion.pk}"] = forms.CharField(
                label=_("Why"), required=False, initial=line.justification,
                widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
            )  # fmt: skip

    def rows(self):
        for line in self.lines:
            yield line, self[f"points_{line.criterion_id}"], self[f"why_{line.criterion_id}"]

    def judgements(self) -> dict[int, tuple[object, str]]:
        data = self.cleaned_data
        return {line.criterion_id: (data[f"points_{line.criterion_id}"], data[f"why_{line.criterion_id}"])
                for line in self.lines if data.get(f"points_{line.criterion_id}") is not None}  # fmt: skip


class AdjustForm(BootstrapMixin, forms.Form):
    criterion = forms.TypedChoiceField(label=_("Criterion"), coerce=int,
                                       error_messages={"required": _("Choose a criterion.")})  # fmt: skip
    points = forms.DecimalField(
        label=_("New points"), min_value=0, decimal_places=1,
        error_messages={"required": _("Enter a number of points."),
                        "invalid": _("Enter a number of points.")},
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
        error_messages={"required": _("Say why you change the points.")},
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [
            (line.criterion_id, f"{line.criterion.group} · {line.criterion.title} "
                                f"({line.points}/{line.criterion.points})")
            for line in lines
        ]  # fmt: skip
