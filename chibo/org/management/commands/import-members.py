"""`chibo import-members FILE [--user USERNAME] [--dry-run]`: import units and members from Excel."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chibo.org.importing import import_workbook


class Command(BaseCommand):
    help = "Import units and members from an Excel file made from the template (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument(
            "--user",
            help="import as this user: only the units they manage may be touched, and they are "
            "recorded as the author (default: the system, the whole tree)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, store nothing"
        )

    def handle(self, *args, file, user=None, dry_run=False, **options):
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(_("No user named %(name)s.") % {"name": user}) from None
        interactive = getattr(self.stderr, "isatty", lambda: False)()
        shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = done * 100 // total if total else 0
            # on a terminal every percent on one line; in a log every tenth
            step = percent if interactive else percent // 10 * 10
            if step <= shown[0]:
                return
            shown[0] = step
            line = _("Progress: %(percent)d%%") % {"percent": step}
            if interactive:
                self.stderr.write(f"\r{line}", ending="")
            else:
                self.stderr.write(line)

        try:
            result = import_workbook(file, user=actor, progress=progress, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(file)s") % {"file": file}) from None
        if interactive and shown[0] >= 0:
            self.stderr.write("")
        for error in result.errors:
            value = f" «{error.value}»" if error.value else ""
            self.stdout.write(
                _("%(sheet)s, row %(row)s, column %(column)s%(value)s: %(message)s")
                % {
                    "sheet": error.sheet,
                    "row": error.row,
                    "column": error.column,
                    "value": value,
                    "message": error.message,
                }  # fmt: skip
            )
        if not result.ok:
            raise CommandError(result.message)
        if dry_run:
            message = _("The file is correct: %(units)d units and %(members)d members would be imported.")  # fmt: skip
        else:
            message = _("Imported %(units)d units and %(members)d members.")
        self.stdout.write(
            self.style.SUCCESS(
                message % {"units": result.units_created, "members": result.members_created}
            )
        )
