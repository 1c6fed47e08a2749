"""`chibo backup` → `chibo restore` into an empty installation gives back every table's rows
and every uploaded file. Refusals: an installation that holds data, a damaged archive, another
database engine. Run on real installations in subprocesses: SQLite files always, and two
scratch databases on the PostgreSQL server when the suite runs on PostgreSQL."""

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ADD_FILE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from chibo.accounts.models import User
from chibo.documents.services import document_publish
officer = User.objects.get(username="bantochuc")
document_publish(unit=officer.grants.first().unit, by=officer, kind="directive", title="Chỉ thị (bản chụp)",
                 confidentiality="normal", file=SimpleUploadedFile("chi-thi.pdf", b"%PDF-1.4 ban chup"))
"""

CONTENTS = """
import hashlib, json
from pathlib import Path
from django.conf import settings
from django.db import connection
tables = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in cursor.fetchall())
        tables[table] = [len(rows), hashlib.sha256("\\n".join(rows).encode()).hexdigest()]
root = Path(settings.MEDIA_ROOT)
files = {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in root.rglob("*") if p.is_file()} if root.exists() else {}
print(json.dumps({"tables": tables, "files": files}))
"""


def chibo(env, *args, check=True):
    return subprocess.run([sys.executable, "-m", "chibo", *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def contents(env) -> dict:
    return json.loads(chibo(env, "shell", "-v", "0", "-c", CONTENTS).stdout)


def installation(tmp_path: Path, name: str, database_url: str) -> dict:
    var = tmp_path / name
    var.mkdir()
    return {**os.environ, "CHIBO_VAR_DIR": str(var), "CHIBO_DATABASE_URL": database_url,
            "CHIBO_HTTPS": "0", "DJANGO_SETTINGS_MODULE": "chibo.settings"}  # fmt: skip


def sqlite_pair(tmp_path):
    return (installation(tmp_path, "src", f"sqlite:///{tmp_path / 'src' / 'chibo.sqlite3'}"),
            installation(tmp_path, "dst", f"sqlite:///{tmp_path / 'dst' / 'chibo.sqlite3'}"))  # fmt: skip


@pytest.fixture
def postgres_pair(tmp_path):
    url = os.environ.get("CHIBO_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the suite runs on SQLite here; this case runs in the PostgreSQL pass")
    import psycopg

    base, _, query = url.partition("?")
    server = base.rsplit("/", 1)[0]
    names = [f"chibo_backup_{uuid.uuid4().hex[:8]}_{side}" for side in ("src", "dst")]
    with psycopg.connect(f"{server}/postgres?{query}", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(installation(tmp_path, side, f"{server}/{name}?{query}")
                    for side, name in zip(("src", "dst"), names, strict=True))  # fmt: skip
    finally:
        with psycopg.connect(f"{server}/postgres?{query}", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def round_trip(tmp_path, source, target):
    chibo(source, "migrate", "--noinput", "-v", "0")
    chibo(source, "demo")
    chibo(source, "shell", "-v", "0", "-c", ADD_FILE)
    archive = tmp_path / "chibo.tar.gz"
    said = chibo(source, "backup", "--output", str(archive)).stdout
    assert "Đã sao lưu" in said and "1 tệp tải lên" in said
    assert not list(tmp_path.glob("*.partial"))
    chibo(target, "restore", str(archive))
    before, after = contents(source), contents(target)
    assert before["files"] and after["files"] == before["files"]
    assert before["tables"]["meetings_meeting"][0] > 100 and before["tables"]["documents_document"][0] >= 1
    assert after["tables"] == before["tables"]
    # Restoring again over the restored installation is refused, and changes nothing.
    refused = chibo(target, "restore", str(archive), check=False)
    assert refused.returncode != 0 and "chỉ khôi phục vào một cài đặt trống" in refused.stderr
    assert contents(target) == after
    return archive


def test_sqlite_backup_restores_every_table_and_file(tmp_path):
    source, target = sqlite_pair(tmp_path)
    round_trip(tmp_path, source, target)


def test_postgresql_backup_restores_every_table_and_file(tmp_path, postgres_pair):
    source, target = postgres_pair
    round_trip(tmp_path, source, target)


def test_a_damaged_or_foreign_archive_is_refused_before_anything_changes(tmp_path):
    source, target = sqlite_pair(tmp_path)
    chibo(source, "migrate", "--noinput", "-v", "0")
    archive = tmp_path / "ok.tar.gz"
    chibo(source, "backup", "--output", str(archive))
    # A member changed after the manifest was written.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as good, tarfile.open(damaged, "w:gz") as bad:
        for member in good.getmembers():
            data = good.extractfile(member).read()
            if member.name == "database.sqlite3":
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            bad.addfile(member, io.BytesIO(data))
    refused = chibo(target, "restore", str(damaged), check=False)
    assert refused.returncode != 0 and "bị hỏng" in refused.stderr
    assert not (tmp_path / "dst" / "chibo.sqlite3").exists() or contents(target)["tables"] == {}
    not_an_archive = tmp_path / "note.tar.gz"
    not_an_archive.write_text("không phải tệp nén")
    refused = chibo(target, "restore", str(not_an_archive), check=False)
    assert refused.returncode != 0 and "Không đọc được tệp sao lưu" in refused.stderr
