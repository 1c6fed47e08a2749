"""Messages of Django itself that its Vietnamese catalogue leaves untranslated, and that a
user can meet on chibo's forms. Named here so that `makemessages` keeps them in chibo's
catalogue, which Django reads before its own (LOCALE_PATHS come first)."""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = (
    gettext_noop("Null characters are not allowed."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("ManagementForm data is missing or has been tampered with"),
    gettext_noop(
        "File extension “%(extension)s” is not allowed. Allowed extensions are: "
        "%(allowed_extensions)s."
    ),
)
