import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from chibo.org.forms import BootstrapMixin, UnitCodeField

from .models import Role

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,149}$")


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. Note that the password is case-sensitive."),
        "inactive": _("This account is disabled."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autocapitalize": "none"}
        )
        self.fields["password"].widget.attrs.update({"class": "form-control"})


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("Lower-case letters, digits and . _ - ; used to log in."))  # fmt: skip
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("Needed to reset a forgotten password by e-mail."))  # fmt: skip
    password = forms.CharField(label=_("First password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("Give it to the person; they should change it after logging in."))  # fmt: skip
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = UnitCodeField(label=_("On unit (code)"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean_username(self):
        username = self.cleaned_data["username"].strip().lower()
        if not USERNAME_RE.match(username):
            raise forms.ValidationError(_("Use lower-case letters, digits and . _ - only."))
        return username


class GrantForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = UnitCodeField(label=_("On unit (code)"))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class SetPasswordForm(BootstrapMixin, forms.Form):
    password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(render_value=False)
    )
