"""`chibo backup [--output PATH]`: the database and the uploaded files in one archive."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chibo.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Sao lưu CSDL và các tệp tải lên vào một tệp .tar.gz."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, help="Tệp sao lưu (mặc định var/backups/chibo-<thời điểm>.tar.gz)")

    def handle(self, *, output: Path | None, **options) -> None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        output = output or Path(settings.VAR_DIR) / "backups" / f"chibo-{stamp}.tar.gz"
        try:
            manifest = backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        files = sum(1 for name in manifest["members"] if name.startswith("media/"))
        self.stdout.write(f"Đã sao lưu vào {output} ({manifest['engine']}, {files} tệp tải lên).")
