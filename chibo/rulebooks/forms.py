from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin

from .models import Measure, Rulebook
from .selectors import FIGURES


class RulebookForm(BootstrapMixin, forms.ModelForm):
    """A new version of a unit's rules, pre-filled from the rulebook in force."""

    scorecard = forms.ModelChoiceField(
        queryset=None, required=False, label=_("scorecard"), empty_label=_("No scorecard"),
        help_text=_("Meetings under these rules are scored with this card."),
    )  # fmt: skip

    def __init__(self, *args, scorecards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scorecard"].queryset = scorecards

    class Meta:
        model = Rulebook
        fields = ["name", "source", "valid_from", "valid_to", *FIGURES]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {"valid_to": _("Leave empty: until a later version replaces it.")}
        error_messages = {name: {"required": _("Enter a number."), "invalid": _("Enter a number.")}
                          for name in FIGURES}  # fmt: skip


class RulesDateForm(forms.Form):
    date = forms.DateField(required=False)


class _CapitalLabels:
    """Labels borrowed from the models' lower-case field names start with a capital."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = capfirst(field.label)


class ScorecardForm(_CapitalLabels, BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    source = forms.CharField(label=_("source document"), max_length=255)
    grades = forms.CharField(
        label=_("grades"), max_length=500,
        help_text=_("The best first, each with the lowest total that reaches it; the last "
                    "starts at 0. For example: Tốt=90; Khá=70; Trung bình=50; Kém=0"),
    )  # fmt: skip


class CriterionForm(_CapitalLabels, BootstrapMixin, forms.Form):
    group = forms.CharField(label=_("group"), max_length=120, required=False)
    title = forms.CharField(label=_("criterion"), max_length=300, required=False)
    points = forms.DecimalField(label=_("points"), max_digits=5, decimal_places=1, required=False,
                                error_messages={"invalid": _("Enter a number of points.")})  # fmt: skip
    measure = forms.ChoiceField(label=_("measured by"), choices=Measure.choices,
                                initial=Measure.JUDGED)  # fmt: skip
    bands = forms.CharField(
        label=_("points by value"), max_length=500, required=False,
        help_text=_("For a computed measure: from..to=points, for example 90..=4; 75..90=3; "
                    "..65=1 — or >50=5 for strictly above."),
    )  # fmt: skip


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True,
                                         max_num=60, absolute_max=60)  # fmt: skip
