from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin

from .audit_labels import action_choices
from .selectors import AuditFilter


class AuditFilterForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=action_choices)
    actor = forms.CharField(label=_("By (account or name)"), required=False, max_length=100)
    text = forms.CharField(label=_("About (part of the name)"), required=False, max_length=100)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date comes before the start date."))
        return data

    @property
    def in_use(self) -> bool:
        """A filter was asked for (or mistyped): the form stays open on a phone."""
        return self.is_bound and (any(self.data.get(name) for name in self.fields) or bool(self.errors))

    def chosen(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        return AuditFilter(**{k: v or (None if k in ("since", "until") else "") for k, v in self.cleaned_data.items()})
