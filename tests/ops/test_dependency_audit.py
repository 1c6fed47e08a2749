"""scripts/audit-dependencies, which ./test runs: it fails on a known vulnerability, and says
plainly when the vulnerability database could not be reached instead of claiming all is well."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit-dependencies"


def judge(tmp_path, dependencies):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": dependencies, "fixes": []}))
    return subprocess.run([sys.executable, str(SCRIPT), "--report", str(report)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_known_vulnerability_fails_the_run(tmp_path):
    result = judge(tmp_path, [
        {"name": "django", "version": "5.2.0", "vulns": [
            {"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": [], "description": ""}]},
        {"name": "openpyxl", "version": "3.1.5", "vulns": []},
    ])  # fmt: skip
    assert result.returncode == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in result.stdout


def test_a_clean_report_passes(tmp_path):
    result = judge(tmp_path, [{"name": "django", "version": "5.2.19", "vulns": []}])
    assert result.returncode == 0 and "1 packages checked" in result.stdout


def test_an_unreachable_database_is_said_not_hidden(tmp_path):
    result = judge(tmp_path, [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ])  # fmt: skip
    assert result.returncode == 0
    assert "audit NOT done" in result.stdout
