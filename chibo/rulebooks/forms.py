from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin

from .models import Rulebook
from .selectors import FIGURES


class RulebookForm(BootstrapMixin, forms.ModelForm):
    """A new version of a unit's rules, pre-filled from the rulebook in force."""

    class Meta:
        model = Rulebook
        fields = ["name", "source", "valid_from", *FIGURES]
        widgets = {"valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        error_messages = {name: {"required": _("Enter a number."), "invalid": _("Enter a number.")}
                          for name in FIGURES}  # fmt: skip


class RulesDateForm(forms.Form):
    date = forms.DateField(required=False)
