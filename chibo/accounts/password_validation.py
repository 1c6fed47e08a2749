"""Password rules with messages chibo translates itself: Django's Vietnamese catalogue lacks
the minimum-length messages, which then showed in English."""

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return _("This password is too short: it needs at least %(min_length)d characters.") % {
            "min_length": self.min_length
        }

    def get_help_text(self):
        return _("At least %(min_length)d characters; not only digits, not a common password, "
                 "not like your name.") % {"min_length": self.min_length}  # fmt: skip
