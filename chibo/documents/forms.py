from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin

from .models import Confidentiality, DocumentKind, DraftPart


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=[
        c for c in DocumentKind.choices if c[0] != DocumentKind.MEETING])  # fmt: skip
    number = forms.CharField(label=_("Number"), max_length=64, required=False)
    title = forms.CharField(label=_("Title (trích yếu)"), max_length=300)
    issued_on = forms.DateField(label=_("Issued on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), choices=Confidentiality.choices)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Not for a confidential document: chibo keeps only its reference."),
    )  # fmt: skip
    where_to_read = forms.CharField(
        label=_("Where to read it"), max_length=300, required=False,
        help_text=_("For a confidential document: where members can read it."),
    )  # fmt: skip
    file = forms.FileField(
        label=_("File"), required=False,
        help_text=_("PDF, Word, Excel, OpenDocument or a picture; not for a confidential document."),
    )  # fmt: skip


class MeetingDocumentForm(DocumentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class CommentForm(BootstrapMixin, forms.Form):
    part = forms.ChoiceField(choices=DraftPart.choices, widget=forms.HiddenInput)
    paragraph = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    text = forms.CharField(label=_("Your comment"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("Write your comment.")})  # fmt: skip
