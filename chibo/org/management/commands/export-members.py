"""`chibo export-members [--unit CODE] [--user USERNAME] FILE`: export members to Excel."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chibo.accounts.access import Scope, scope_for
from chibo.org import selectors
from chibo.org.exporting import write_members_xlsx


class Command(BaseCommand):
    help = "Export the members under a unit to an Excel file in the import template's columns."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument("--unit", help="code of the unit (default: the whole tree)")
        parser.add_argument(
            "--user", help="export what this user may see (default: the system, everything)"
        )

    def handle(self, *args, file, unit=None, user=None, **options):
        scope = Scope(None, None, is_superuser=True)
        if user:
            try:
                scope = scope_for(get_user_model().objects.get(username=user))
            except get_user_model().DoesNotExist:
                raise CommandError(_("No user named %(name)s.") % {"name": user}) from None
        chosen = None
        if unit:
            chosen = selectors.visible_units(scope).filter(code=unit.strip().upper()).first()
            if chosen is None:
                raise CommandError(_("No unit with the code %(code)s.") % {"code": unit})
        members = selectors.search_members(scope, unit=chosen)

        def progress(done: int, total: int) -> None:
            self.stderr.write(_("Exported %(done)d of %(total)d members") % {"done": done, "total": total})  # fmt: skip

        try:
            with open(file, "wb") as out:
                count = write_members_xlsx(
                    members, out, scope=scope, within=chosen, progress=progress
                )
        except OSError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)d members to %(file)s.") % {"count": count, "file": file}
            )
        )
