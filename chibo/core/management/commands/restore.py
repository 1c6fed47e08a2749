"""`chibo restore ARCHIVE`: bring a backup back into an empty installation."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chibo.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Khôi phục một bản sao lưu của chibo vào cài đặt trống (CSDL chưa có bảng)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *, archive: Path, **options) -> None:
        if not archive.is_file():
            raise CommandError(f"Không có tệp {archive}.")
        try:
            manifest = restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đã khôi phục bản sao lưu lúc {manifest['created_at']} ({manifest['engine']}).")
