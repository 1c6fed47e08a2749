"""Backups: one archive with a consistent snapshot of the database and the uploaded files, and
its restore into an empty installation.

The archive (`.tar.gz`) holds `manifest.json` (format, engine, time, and the SHA-256 of every
other member), the database — `database.sqlite3`, taken with SQLite's online backup API while
chibo runs, or `database.pgdump`, from `pg_dump --format=custom` (one snapshot transaction) —
and the uploaded files under `media/`. It is written under a temporary name and renamed when
complete, so a backup killed midway leaves no archive that looks whole.

A restore checks every member against the manifest before it touches anything, refuses an
installation that already holds data, then puts the database and the files in place and runs
the migrations (an older backup into newer code)."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

FORMAT = 1
MEDIA = "media/"


class BackupError(Exception):
    """Said to the operator as it is (Vietnamese)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


# Connection settings that libpq understands, passed to pg_dump and pg_restore as one
# connection string (Django may keep host and port in OPTIONS).
_LIBPQ_KEYS = {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "sslcert",
               "sslkey", "passfile", "service", "connect_timeout"}  # fmt: skip


def _pg_args() -> tuple[list[str], dict]:
    from psycopg.conninfo import make_conninfo

    params = {k: v for k, v in connection.get_connection_params().items() if k in _LIBPQ_KEYS and v not in ("", None)}
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    return ["--dbname", make_conninfo(**{k: str(v) for k, v in params.items()})], env


def _dump_database(folder: Path) -> Path:
    if _engine() == "sqlite":
        target = folder / "database.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)  # a consistent snapshot, readers and writers go on
        finally:
            source.close()
        return target
    target = folder / "database.pgdump"
    args, env = _pg_args()
    done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                           "--file", str(target), *args], env=env, capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise BackupError(f"pg_dump không chạy được: {done.stderr.strip()}")
    return target


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def backup(output: Path) -> dict:
    """Write the archive to `output`; returns the manifest."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chibo-backup-") as work:
        database = _dump_database(Path(work))
        root = Path(settings.MEDIA_ROOT)
        files = {MEDIA + p.relative_to(root).as_posix(): p for p in _media_files()}
        manifest = {
            "format": FORMAT, "engine": _engine(),
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "members": {database.name: _sha256(database), **{name: _sha256(p) for name, p in files.items()}},
        }  # fmt: skip
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, arcname=database.name)
            for name, path in files.items():
                archive.add(path, arcname=name)
        os.replace(partial, output)
    return manifest


def _extract_safely(archive: tarfile.TarFile, work: Path) -> None:
    """Only plain files and folders, inside `work`. Python's "data" filter does this, but
    Debian 12's Python 3.11.2 predates it."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(work, filter="data")
        return
    root = work.resolve()
    for member in archive.getmembers():
        target = (root / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not target.is_relative_to(root):
            raise tarfile.TarError(f"unexpected member {member.name!r}")
    archive.extractall(work)


def _read_checked(archive_path: Path, work: Path) -> dict:
    """Extract into `work` and check every member against the manifest."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            _extract_safely(archive, work)
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupError(f"Không đọc được tệp sao lưu {archive_path}: {exc}") from exc
    try:
        manifest = json.loads((work / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError("Tệp sao lưu không có bản kê (manifest.json) hợp lệ.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Định dạng sao lưu {manifest.get('format')} không được hỗ trợ.")
    for name, digest in manifest["members"].items():
        path = work / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"Tệp sao lưu bị hỏng: «{name}» không khớp với bản kê. Không khôi phục gì.")
    return manifest


def _require_empty() -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError("CSDL đích đã có dữ liệu (đã có bảng): chỉ khôi phục vào một cài đặt trống. "
                          "Không thay đổi gì.")  # fmt: skip
    if _media_files():
        raise BackupError(f"Thư mục tệp tải lên {settings.MEDIA_ROOT} không trống. Không thay đổi gì.")


def restore(archive_path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="chibo-restore-") as folder:
        work = Path(folder)
        manifest = _read_checked(archive_path, work)
        if manifest["engine"] != _engine():
            raise BackupError(f"Bản sao lưu là của {manifest['engine']}, cài đặt này dùng {_engine()}: "
                              "hãy khôi phục vào cùng loại CSDL.")  # fmt: skip
        _require_empty()
        if manifest["engine"] == "sqlite":
            target = Path(settings.DATABASES["default"]["NAME"])
            connection.close()
            for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                leftover.unlink(missing_ok=True)  # the empty file opened by the check above
            staged = target.with_name(target.name + ".restoring")
            shutil.copyfile(work / "database.sqlite3", staged)
            os.replace(staged, target)
        else:
            args, env = _pg_args()
            done = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                   "--single-transaction", *args, str(work / "database.pgdump")],
                                  env=env, capture_output=True, text=True)  # fmt: skip
            if done.returncode:
                raise BackupError(f"pg_restore không chạy được (không có gì được ghi): {done.stderr.strip()}")
        media = Path(settings.MEDIA_ROOT)
        for name in manifest["members"]:
            if name.startswith(MEDIA):
                destination = media / name[len(MEDIA):]
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(work / name, destination)
    call_command("migrate", interactive=False, verbosity=0)
    return manifest
