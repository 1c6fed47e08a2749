"""Forms for the tree and member pages. They parse input; rules live in services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.core.text import normalize

from .models import CellType, DepartureKind, Member, MemberStatus, Unit, UnitKind
from .services import member_data_errors


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names when it has one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def run_form(request, form: forms.Form, action):
    """Validate `form`, call `action(cleaned_data)`; map service errors onto the form.
    Returns the action's result, or None when the form must be shown again."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, UnitCodeField):
                field.widget.attrs.update(field.lookup_attrs(name))
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class UnitCodeField(forms.CharField):
    """A unit chosen by its code, limited to the units the user may pick."""

    def __init__(self, *, queryset=None, cells_only: bool = False, **kwargs):
        self.queryset = queryset
        self.cells_only = cells_only
        super().__init__(max_length=32, **kwargs)

    def lookup_attrs(self, name: str) -> dict[str, str]:
        """Suggest units while typing: htmx fills a <datalist> from the lookup view."""
        url = reverse("unit_lookup") + f"?field={name}" + ("&cells=1" if self.cells_only else "")
        return {
            "list": f"{name}-options",
            "autocomplete": "off",
            "hx-get": url,
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{name}-options",
            "data-datalist": f"{name}-options",
        }

    def clean(self, value):
        code = normalize(super().clean(value)).upper()
        if not code:
            return None
        try:
            return self.queryset.get(code=code)
        except Unit.DoesNotExist:
            raise ValidationError(_("No unit with code %(code)s in your part of the tree."),
                                  params={"code": code}) from None  # fmt: skip


class MemberForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Member
        fields = [
            "family_name", "middle_name", "given_name", "gender", "birth_date", "card_number",
            "status", "admission_date", "official_date", "position", "community_roles",
            "fee_category", "phone", "email", "address",
        ]  # fmt: skip
        widgets = {
            "birth_date": DateInput(),
            "admission_date": DateInput(),
            "official_date": DateInput(),
        }

    def __init__(self, *args, cell: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell = cell
        self.fields["status"].initial = MemberStatus.OFFICIAL
        self.fields["phone"].widget.attrs["inputmode"] = "tel"

    def clean(self):
        # The rules are the services' (shared with the API and the importer); run them here
        # too so that one submission shows every problem at once.
        data = super().clean()
        errors = member_data_errors(data | {"cell": self.cell}, instance=self.instance)
        for field, messages in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        return data

    def _post_clean(self):
        pass  # the model's full_clean would repeat the checks above with Django's wording


class UnitForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    cell_type = forms.ChoiceField(
        label=_("Cell type"), choices=[("", "—")] + CellType.choices, required=False,
        help_text=_("Only for cells."),
    )  # fmt: skip

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (UnitKind.CELL, UnitKind.GRASSROOTS_CELL) and not data.get("cell_type"):
            self.add_error("cell_type", _("Choose the cell type."))
        return data


class MoveUnitForm(BootstrapMixin, forms.Form):
    new_parent = UnitCodeField(label=_("Code of the new parent unit"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = units


class MergeUnitForm(BootstrapMixin, forms.Form):
    target = UnitCodeField(label=_("Merge into (code of the unit that remains)"))
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    confirm = forms.BooleanField(
        label=_("I understand that this unit will be closed and everything in it moved.")
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = units
        self.fields["effective_on"].initial = timezone.localdate()


class DissolveUnitForm(BootstrapMixin, forms.Form):
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason or decision"), max_length=255)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].initial = timezone.localdate()


class PeriodForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("Until"), widget=DateInput(), required=False,
                          help_text=_("Leave empty if open-ended."))  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=255)
    decision_ref = forms.CharField(label=_("Decision reference"), max_length=100, required=False)


class AttachmentForm(PeriodForm):
    host_cell = UnitCodeField(label=_("Code of the host cell"), cells_only=True)

    field_order = ["host_cell", "start", "end", "reason", "decision_ref"]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host_cell"].queryset = units


class TransferForm(BootstrapMixin, forms.Form):
    to_cell = UnitCodeField(label=_("Code of the new cell"), cells_only=True)
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=255)
    decision_ref = forms.CharField(label=_("Decision reference"), max_length=100, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cell"].queryset = units
        self.fields["effective_on"].initial = timezone.localdate()


class DepartureForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("How the member left"), choices=DepartureKind.choices)
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    note = forms.CharField(label=_("Decision and reason"), widget=forms.Textarea(attrs={"rows": 3}),
                           required=False)  # fmt: skip


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + MemberStatus.choices,
                               widget=forms.Select(attrs={"class": "form-select"}))  # fmt: skip
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
