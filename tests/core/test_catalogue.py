"""The Vietnamese message catalogue: complete, current with the source, compiled, with English fallback."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext, ngettext

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chibo"
PO_PATH = PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# makemessages reads .py, .html and .txt files for the "django" domain.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIP_DIRS = {"static", "locale", "migrations", "__pycache__"}
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]")


def _po() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _live(entries):
    return [e for e in entries if not e.obsolete]


def _key(entry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _describe(keys) -> str:
    return "\n".join(
        f"  {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
        for ctx, msgid in sorted(keys, key=lambda k: (k[0] or "", k[1]))
    )


def test_every_entry_is_translated_and_none_is_fuzzy():
    po = _po()
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    entries = _live(po)
    assert entries, "the catalogue is empty"
    untranslated = [e.msgid for e in entries if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy}"
    for entry in entries:
        if entry.msgid_plural:
            assert set(entry.msgstr_plural) == {0}, (
                f"{entry.msgid!r}: Vietnamese has one plural form"
            )


def test_translations_keep_the_named_placeholders():
    problems = []
    for entry in _live(_po()):
        expected = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            expected |= set(PLACEHOLDER.findall(entry.msgid_plural))
            translations = list(entry.msgstr_plural.values())
        else:
            translations = [entry.msgstr]
        for text in translations:
            if set(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"{entry.msgid!r} → {text!r}")
            if text.startswith((" ", "\n")) != entry.msgid.startswith((" ", "\n")) or text.endswith(
                (" ", "\n")
            ) != entry.msgid.endswith((" ", "\n")):
                problems.append(f"leading/trailing whitespace differs: {entry.msgid!r} → {text!r}")
    assert not problems, "\n".join(problems)


def _copy_sources(destination: Path) -> None:
    for path in PACKAGE.rglob("*"):
        relative = path.relative_to(PACKAGE)
        if not path.is_file() or path.suffix not in SOURCE_SUFFIXES:
            continue
        if SKIP_DIRS.intersection(relative.parts[:-1]):
            continue
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def test_committed_catalogue_matches_the_source(tmp_path):
    missing_tools = [
        tool for tool in ("xgettext", "msguniq", "msgmerge") if shutil.which(tool) is None
    ]
    if missing_tools:
        pytest.fail(
            f"GNU gettext tools not found on PATH: {', '.join(missing_tools)}. "
            "Install gettext (apt-get install gettext) to check the catalogue against the source."
        )
    copy = tmp_path / "chibo"
    _copy_sources(copy)
    (copy / "locale").mkdir()
    # The real settings point LOCALE_PATHS at the committed catalogue; makemessages must not
    # touch it, so run with settings whose only locale directory is the copy's.
    (tmp_path / "catalogue_check_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\nLOCALE_PATHS = []\n", encoding="utf-8"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "catalogue_check_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-location",
               "--ignore", "static/*"]  # fmt: skip
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted_path = copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    assert extracted_path.exists(), (
        f"makemessages wrote no catalogue:\n{result.stdout}\n{result.stderr}"
    )

    extracted = {_key(e) for e in _live(polib.pofile(str(extracted_path))) if e.msgid}
    committed = {_key(e) for e in _live(_po()) if e.msgid}
    not_in_po = extracted - committed
    stale = committed - extracted
    assert not not_in_po and not stale, (
        "chibo/locale/vi/LC_MESSAGES/django.po is out of date; run makemessages -l vi and translate.\n"
        f"In the source but not in the catalogue ({len(not_in_po)}):\n{_describe(not_in_po)}\n"
        f"In the catalogue but no longer in the source ({len(stale)}):\n{_describe(stale)}"
    )
    plurals = {_key(e): e.msgid_plural for e in _live(polib.pofile(str(extracted_path))) if e.msgid}
    committed_plurals = {_key(e): e.msgid_plural for e in _live(_po()) if e.msgid}
    assert plurals == committed_plurals, "plural forms in the source differ from the catalogue"


def test_english_falls_back_to_the_source_text_and_vietnamese_is_translated():
    template = Template('{% load i18n %}{% translate "Save" %}|{% translate "Import from Excel" %}')
    with translation.override("en"):
        assert gettext("Search") == "Search"
        assert gettext("This field is required.") == "This field is required."
        assert ngettext("%(n)s member", "%(n)s members", 2) % {"n": 2} == "2 members"
        assert template.render(Context()) == "Save|Import from Excel"
    with translation.override("vi"):
        assert gettext("Search") == "Tìm kiếm"
        assert gettext("This field is required.") == "Trường này là bắt buộc."
        assert ngettext("%(n)s member", "%(n)s members", 2) % {"n": 2} == "2 đảng viên"
        assert ngettext("%(n)s member", "%(n)s members", 1) % {"n": 1} == "1 đảng viên"
        assert template.render(Context()) == "Lưu|Nhập từ Excel"


def _translations(entries) -> dict:
    table = {}
    for entry in entries:
        if not entry.msgid or entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            forms = {int(k): v for k, v in entry.msgstr_plural.items()}
            if all(forms.values()):
                table[_key(entry)] = (entry.msgid_plural, tuple(sorted(forms.items())))
        elif entry.msgstr:
            table[_key(entry)] = entry.msgstr
    return table


def test_compiled_catalogue_is_current():
    assert MO_PATH.exists(), "django.mo is missing: run `chibo compilemessages -l vi` in chibo/"
    po_table = _translations(_po())
    mo_table = _translations(polib.mofile(str(MO_PATH)))
    missing = {k for k in po_table if k not in mo_table}
    extra = {k for k in mo_table if k not in po_table}
    changed = {k for k in po_table.keys() & mo_table.keys() if po_table[k] != mo_table[k]}
    assert not (missing or extra or changed), (
        "django.mo is older than django.po: run `chibo compilemessages -l vi` in chibo/.\n"
        f"Not compiled yet:\n{_describe(missing)}\nOnly in the .mo:\n{_describe(extra)}\n"
        f"Different translation:\n{_describe(changed)}"
    )
