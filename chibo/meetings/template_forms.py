"""Forms of the template pages (minutes templates and Word templates). They parse input; the
rules live in `template_services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin, UnitCodeField
from chibo.org.models import CellType

from .models import PrintDocument, SectionContent
from .template_services import NAME_MAX_LENGTH, TITLE_MAX_LENGTH, WORD_MAX_BYTES


def _cell_type_choices():
    return [("", _("Every cell type"))] + list(CellType.choices)


class TemplateCopyForm(BootstrapMixin, forms.Form):
    unit = UnitCodeField(
        label=_("For the unit (code)"),
        help_text=_(
            "New meetings of the cells under this unit (of the template's cell type, if it has "
            "one) will use the copy."
        ),
    )
    name = forms.CharField(label=_("Name of the copy"), max_length=NAME_MAX_LENGTH)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class TemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH)
    cell_type = forms.ChoiceField(label=_("For cells of type"), required=False)
    is_active = forms.BooleanField(
        label=_("In use for new meetings"), required=False,
        help_text=_("Meetings already planned keep their own sections."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cell_type"].choices = _cell_type_choices()


class SectionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    content = forms.ChoiceField(label=_("What it holds"), choices=SectionContent.choices)
    required = forms.BooleanField(label=_("Required before finalising"), required=False)
    guidance = forms.CharField(
        label=_("Guidance for the clerk"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class SectionAddForm(SectionForm):
    position = forms.IntegerField(
        label=_("Position (empty: at the end)"), required=False, min_value=1
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class WordTemplateUploadForm(BootstrapMixin, forms.Form):
    document = forms.ChoiceField(label=_("Document"), choices=PrintDocument.choices)
    file = forms.FileField(
        label=_("Word file (.docx)"),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".docx,application/vnd.openxmlformats-officedocument."
                      "wordprocessingml.document",
        }),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "Download the template in use, edit it in Word keeping the {{ … }} fields, and "
            "upload it here. At most %(limit)s MB."
        ) % {"limit": WORD_MAX_BYTES // (1024 * 1024)}
