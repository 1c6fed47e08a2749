"""Minutes templates and Word templates an organisation board edits (issue 3): the access matrix
of every page and API route; copy → edit → new meetings in the subtree use the copy while older
meetings and cells elsewhere keep theirs; positions stay 1..n; the sections the finalisation
checks need cannot be removed; Word templates are checked on upload and used by the export;
the list pages issue a constant number of queries."""

import io
import random
import unicodedata
from pathlib import Path

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from chibo.core.models import AuditEntry
from chibo.meetings import checks, exporting, services, template_selectors, template_services
from chibo.meetings.models import (
    MeetingKind,
    MinutesTemplate,
    SectionContent,
    TemplateSection,
    WordTemplate,
)
from chibo.org.models import CellType

from ..conftest import ROLES, check_matrix
from .conftest import MEETING_DAY, plan, record_complete

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT, FOUND, FORBIDDEN, MISSING = 200, 201, 204, 302, 403, 404
API = "/api/v1"
HX = {"HTTP_HX_REQUEST": "true"}
NON_MANAGERS = ("member_a", "secretary_a", "secretary_b")


# --- helpers ---------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def row(anonymous=FOUND, default=MISSING, **seen):
    """A matrix row: every role `default` (404: outside) unless told; anonymous to the login
    page (302) for pages, 401 for the API."""
    base = {role: default for role in ROLES if role != "anonymous"} | {"anonymous": anonymous}
    return base | seen


def api_row(**seen):
    return row(anonymous=401, **seen)


# Managers who see a template of C1 (officer of C1, the province admin) …
C1_SEERS = dict(officer_c1=OK, admin_p=OK)
# … and every manager (the shipped templates, those of the province).
MANAGERS = dict(officer_c1=OK, officer_c2=OK, admin_p=OK)
# The list: the others are refused (403), not "not found".
LIST = dict(member_a=FORBIDDEN, secretary_a=FORBIDDEN, secretary_b=FORBIDDEN) | MANAGERS


def check_each(client_as, make_url, expected, *, method="post", data=None, **extra):
    """Like `check_matrix`, for actions that use their target up (delete, deactivate): every
    role gets a fresh target from `make_url(role)`."""
    assert set(expected) == set(ROLES)
    got = {}
    for role in ROLES:
        client = client_as(role)
        call = getattr(client, method)
        url = make_url(role)
        response = call(url, data=data, **extra) if data is not None else call(url, **extra)
        got[role] = response.status_code
    assert got == expected, f"{method.upper()}: expected {expected}, got {got}"


def shipped(kind=MeetingKind.REGULAR, cell_type=""):
    return MinutesTemplate.objects.get(unit__isnull=True, kind=kind, cell_type=cell_type)


def copy_for(world, unit, *, kind=MeetingKind.REGULAR, by="officer_c1", name=None):
    return template_services.template_copy(
        template=shipped(kind), unit=unit, name=name or f"Mẫu {unit.code} {kind}",
        by=world.users[by],
    )  # fmt: skip


@pytest.fixture
def c1_template(world):
    return copy_for(world, world.c1)


@pytest.fixture
def p_template(world):
    return copy_for(world, world.p, by="admin_p")


def sections_of(template):
    return list(template.sections.order_by("position").values_list("position", "title", "content"))


def titles(template):
    return [title for _p, title, _c in sections_of(template)]


def positions_ok(template) -> bool:
    positions = list(template.sections.order_by("position").values_list("position", flat=True))
    return positions == list(range(1, len(positions) + 1))


def refusal(action, language="en") -> str:
    with translation.override(language), pytest.raises(ValidationError) as refused:
        action()
    return " ".join(refused.value.messages)


def first(template, content):
    return template.sections.filter(content=content).order_by("position").first()


def officer(world):
    return world.users["officer_c1"]


# --- Word files --------------------------------------------------------------------------------------
MARKER = "MẪU RIÊNG CỦA ĐẢNG ỦY XÃ HÒA BÌNH"


class Rewinding(SimpleUploadedFile):
    """An upload the test client can send more than once (once per role of a matrix)."""

    def read(self, *args):
        if not args:
            self.file.seek(0)
        return self.file.read(*args)


def docx_bytes(*paragraphs: str, document="minutes") -> bytes:
    """The shipped template with extra paragraphs at the end (docxtpl fields allowed)."""
    word = docx.Document(str(exporting.word_template(document)))
    for text in paragraphs:
        word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def word_upload(content=None, name="Mẫu biên bản xã.docx"):
    if content is None:
        content = docx_bytes(f"{MARKER}: {{{{ meeting.cell_name }}}}")
    return Rewinding(name, content, content_type="application/octet-stream")


def upload_word(world, unit, *, by="officer_c1", document="minutes", content=None):
    return template_services.word_template_upload(
        unit=unit, document=document, upload=word_upload(content), by=world.users[by]
    )


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for table_row in table.rows:
            for cell in table_row.cells:
                paragraphs.extend(cell.paragraphs)
    return unicodedata.normalize("NFC", "\n".join(p.text for p in paragraphs))


# === access matrix: pages ============================================================================
def test_list_page_matrix(world, client_as, c1_template):
    check_matrix(client_as, reverse("minutes_template_list"), row(**LIST))


def test_detail_page_matrix(world, client_as, c1_template, p_template):
    check_matrix(client_as, reverse("minutes_template_detail", args=[c1_template.pk]),
                 row(**C1_SEERS))  # fmt: skip
    # Shipped templates and those of a unit above: every manager reads them.
    for template in (shipped(), p_template):
        check_matrix(client_as, reverse("minutes_template_detail", args=[template.pk]),
                     row(**MANAGERS))  # fmt: skip
    c2_template = copy_for(world, world.c2, by="officer_c2")
    check_matrix(client_as, reverse("minutes_template_detail", args=[c2_template.pk]),
                 row(officer_c2=OK, admin_p=OK))  # fmt: skip


def test_settings_post_matrix(world, client_as, c1_template, p_template):
    data = {"name": "Mẫu mới", "cell_type": "", "is_active": "on"}
    url = reverse("minutes_template_detail", args=[c1_template.pk])
    check_matrix(client_as, url, row(officer_c1=FOUND, admin_p=FOUND), method="post", data=data)
    # Read-only templates: seen, not changed (403).
    url = reverse("minutes_template_detail", args=[p_template.pk])
    check_matrix(client_as, url, row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN, admin_p=FOUND),
                 method="post", data=data)  # fmt: skip
    url = reverse("minutes_template_detail", args=[shipped().pk])
    check_matrix(client_as, url, row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN,
                                     admin_p=FORBIDDEN), method="post", data=data)  # fmt: skip


def test_copy_page_matrix(world, client_as, c1_template):
    url = reverse("minutes_template_copy", args=[shipped().pk])
    check_matrix(client_as, url, row(**MANAGERS))
    # officer_c2 may not attach a template to C1: the form says so (200 with the error).
    responses = check_matrix(client_as, url, row(officer_c1=FOUND, officer_c2=OK, admin_p=FOUND),
                             method="post", data={"unit": "C1", "name": "Bản sao"})  # fmt: skip
    assert "C1" in responses["officer_c2"].content.decode()
    check_matrix(client_as, reverse("minutes_template_copy", args=[c1_template.pk]),
                 row(**C1_SEERS))  # fmt: skip


def _section_data(prefix, **values):
    data = {"title": "Mục mới", "content": "text", "guidance": "Ghi ngắn gọn."} | values
    return {f"{prefix}-{k}": v for k, v in data.items()}


def test_section_action_matrices(world, client_as, c1_template, p_template):
    for template, editors in ((c1_template, dict(officer_c1=FOUND, admin_p=FOUND)),
                              (p_template, dict(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN,
                                                admin_p=FOUND))):  # fmt: skip
        add = reverse("minutes_template_section_add", args=[template.pk])
        check_matrix(client_as, add, row(**editors), method="post", data=_section_data("new"))
        section = first(template, SectionContent.TEXT)
        edit = reverse("minutes_template_section_edit", args=[template.pk, section.pk])
        check_matrix(client_as, edit, row(**editors), method="post",
                     data=_section_data(f"s{section.pk}", title="Khai mạc buổi sinh hoạt"))  # fmt: skip
        move = reverse("minutes_template_section_move", args=[template.pk, section.pk])
        check_matrix(client_as, move, row(**editors), method="post", data={"direction": "down"})

        def fresh(role, template=template):
            made = template_services.section_add(
                template=template, by=world.users["admin_p"], title=f"Xóa {role}", content="text"
            )
            return reverse("minutes_template_section_delete", args=[template.pk, made.pk])

        check_each(client_as, fresh, row(**editors))
        assert positions_ok(template)
    # The shipped templates: read-only for everyone.
    template = shipped()
    section = first(template, SectionContent.TEXT)
    readonly = row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN, admin_p=FORBIDDEN)
    for name, data in (
        ("minutes_template_section_edit", _section_data(f"s{section.pk}")),
        ("minutes_template_section_move", {"direction": "up"}),
        ("minutes_template_section_delete", {}),
    ):
        check_matrix(client_as, reverse(name, args=[template.pk, section.pk]), readonly,
                     method="post", data=data)  # fmt: skip
    check_matrix(client_as, reverse("minutes_template_section_add", args=[template.pk]), readonly,
                 method="post", data=_section_data("new"))  # fmt: skip


def test_a_section_of_another_template_is_not_found(world, client_as, c1_template, p_template):
    other = first(p_template, SectionContent.TEXT)
    url = reverse("minutes_template_section_move", args=[c1_template.pk, other.pk])
    response = client_as("officer_c1").post(url, {"direction": "up"})
    assert response.status_code == MISSING


def test_word_template_page_matrix(world, client_as):
    check_matrix(client_as, reverse("word_templates", args=[world.c1.pk]), row(**C1_SEERS))
    # Those who see cell A but do not manage it: 403.
    check_matrix(client_as, reverse("word_templates", args=[world.a.pk]),
                 row(member_a=FORBIDDEN, secretary_a=FORBIDDEN, **C1_SEERS))  # fmt: skip
    check_matrix(client_as, reverse("word_templates", args=[world.c1.pk]),
                 row(officer_c1=FOUND, admin_p=FOUND), method="post",
                 data={"document": "minutes", "file": word_upload()})  # fmt: skip
    assert WordTemplate.objects.filter(unit=world.c1, is_active=True).count() == 1


def test_the_unit_page_links_to_word_templates_for_those_who_manage_it(world, client_as):
    link = reverse("word_templates", args=[world.c1.pk])
    page = reverse("unit_detail", args=[world.c1.pk])
    assert link in client_as("officer_c1").get(page).content.decode()
    cell_page = client_as("secretary_a").get(reverse("unit_detail", args=[world.a.pk]))
    assert reverse("word_templates", args=[world.a.pk]) not in cell_page.content.decode()


def test_word_template_download_matrices(world, client_as):
    c1_word = upload_word(world, world.c1)
    p_word = upload_word(world, world.p, by="admin_p")
    response = check_matrix(client_as, reverse("word_template_download", args=[c1_word.pk]),
                            row(**C1_SEERS))["officer_c1"]  # fmt: skip
    assert response["Content-Type"] == exporting.CONTENT_TYPES["docx"]
    assert b"".join(response.streaming_content)[:2] == b"PK"
    check_matrix(client_as, reverse("word_template_download", args=[p_word.pk]), row(**MANAGERS))
    url = reverse("shipped_word_template_download", args=["resolution"])
    response = check_matrix(client_as, url, row(**LIST))["admin_p"]
    shipped_bytes = exporting.word_template("resolution").read_bytes()
    assert b"".join(response.streaming_content) == shipped_bytes


def test_word_template_deactivate_matrix(world, client_as):
    check_each(client_as, lambda role: reverse(
        "word_template_deactivate", args=[upload_word(world, world.c1).pk]),
        row(officer_c1=FOUND, admin_p=FOUND))  # fmt: skip
    check_each(client_as, lambda role: reverse(
        "word_template_deactivate", args=[upload_word(world, world.p, by="admin_p").pk]),
        row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN, admin_p=FOUND))  # fmt: skip


# === access matrix: API ==============================================================================
def test_api_list_and_get_matrix(world, api_client_as, c1_template, p_template):
    responses = check_matrix(api_client_as, f"{API}/minutes-templates", api_row(**LIST))
    officer_c2_ids = {t["id"] for t in responses["officer_c2"].json()["items"]}
    assert p_template.pk in officer_c2_ids and c1_template.pk not in officer_c2_ids
    assert shipped().pk in officer_c2_ids
    check_matrix(api_client_as, f"{API}/minutes-templates/{c1_template.pk}", api_row(**C1_SEERS))
    response = check_matrix(api_client_as, f"{API}/minutes-templates/{p_template.pk}",
                            api_row(**MANAGERS))  # fmt: skip
    body = response["officer_c1"].json()
    assert body["can_edit"] is False and body["unit"]["code"] == "P"
    assert [s["position"] for s in body["sections"]] == list(range(1, len(body["sections"]) + 1))
    assert response["admin_p"].json()["can_edit"] is True


def test_api_change_matrix(world, api_client_as, c1_template, p_template):
    json = {"content_type": "application/json"}
    editors_c1 = dict(officer_c1=OK, admin_p=OK)
    editors_p = dict(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN, admin_p=OK)
    for template, editors in ((c1_template, editors_c1), (p_template, editors_p)):
        base = f"{API}/minutes-templates/{template.pk}"
        check_matrix(api_client_as, base, api_row(**editors), method="patch",
                     data={"name": "Mẫu đã sửa"}, **json)  # fmt: skip
        created = {k: (CREATED if v == OK else v) for k, v in editors.items()}
        check_matrix(api_client_as, f"{base}/sections", api_row(**created), method="post",
                     data={"title": "Mục thêm", "content": "text"}, **json)  # fmt: skip
        section = first(template, SectionContent.TEXT)
        check_matrix(api_client_as, f"{base}/sections/{section.pk}", api_row(**editors),
                     method="patch", data={"guidance": "Ghi rõ."}, **json)  # fmt: skip
        check_matrix(api_client_as, f"{base}/sections/{section.pk}/move", api_row(**editors),
                     method="post", data={"direction": "down"}, **json)  # fmt: skip

        def fresh(role, template=template, base=base):
            made = template_services.section_add(
                template=template, by=world.users["admin_p"], title=f"Xóa {role}", content="text"
            )
            return f"{base}/sections/{made.pk}"

        deleted = {k: (NO_CONTENT if v == OK else v) for k, v in editors.items()}
        check_each(api_client_as, fresh, api_row(**deleted), method="delete")
        assert positions_ok(template)
    shipped_url = f"{API}/minutes-templates/{shipped().pk}"
    check_matrix(api_client_as, shipped_url, api_row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN,
                 admin_p=FORBIDDEN), method="patch", data={"name": "x"}, **json)  # fmt: skip


def test_api_copy_matrix(world, api_client_as):
    url = f"{API}/minutes-templates/{shipped(MeetingKind.THEMATIC).pk}/copy"
    # officer_c2 does not see C1 (404); the others do not see the templates at all (404).
    check_matrix(api_client_as, url, api_row(officer_c1=CREATED, admin_p=CREATED),
                 method="post", data={"unit_id": world.c1.pk, "name": "Chuyên đề xã"},
                 content_type="application/json")  # fmt: skip
    # A unit above the officer's grant is not theirs to see.
    response = api_client_as("officer_c1").post(
        url, {"unit_id": world.p.pk, "name": "x"}, content_type="application/json"
    )
    assert response.status_code == MISSING  # P is above officer_c1's grant: not visible
    copy = MinutesTemplate.objects.filter(unit=world.c1, kind="thematic", is_active=True).get()
    assert copy.copied_from == shipped(MeetingKind.THEMATIC)


def test_api_word_template_matrices(world, api_client_as):
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/word-templates", api_row(**C1_SEERS))
    check_matrix(api_client_as, f"{API}/units/{world.a.pk}/word-templates",
                 api_row(member_a=FORBIDDEN, secretary_a=FORBIDDEN, **C1_SEERS))  # fmt: skip
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/word-templates",
                 api_row(officer_c1=CREATED, admin_p=CREATED), method="post",
                 data={"document": "resolution",
                       "file": word_upload(docx_bytes("{{ resolution.number_line }}",
                                                      document="resolution"))})  # fmt: skip
    current = WordTemplate.objects.get(unit=world.c1, is_active=True)
    assert current.document == "resolution"
    response = api_client_as("officer_c1").get(f"{API}/units/{world.a.pk}/word-templates")
    in_use = {d["document"]: d for d in response.json()["in_use"]}
    assert in_use["resolution"]["template"]["id"] == current.pk  # inherited from C1
    assert in_use["minutes"]["template"] is None
    assert in_use["minutes"]["download_url"] == in_use["minutes"]["shipped_url"]
    check_matrix(api_client_as, f"{API}/word-templates/{current.pk}/file", api_row(**C1_SEERS))
    check_matrix(api_client_as, f"{API}/word-templates/shipped/minutes", api_row(**LIST))
    check_each(api_client_as, lambda role: f"{API}/word-templates/"
               f"{upload_word(world, world.c1).pk}/deactivate",
               api_row(officer_c1=OK, admin_p=OK))  # fmt: skip
    check_each(api_client_as, lambda role: f"{API}/word-templates/"
               f"{upload_word(world, world.p, by='admin_p').pk}/deactivate",
               api_row(officer_c1=FORBIDDEN, officer_c2=FORBIDDEN, admin_p=OK))  # fmt: skip


# === copy → edit → plan ==============================================================================
def test_copy_edit_then_new_meetings_use_it_and_old_ones_keep_theirs(world):
    older = plan(world)
    older_sections = list(older.sections.values_list("position", "title", "content"))
    assert older.template == shipped(cell_type=CellType.RESIDENTIAL)

    by = officer(world)
    copy = template_services.template_copy(
        template=shipped(cell_type=CellType.RESIDENTIAL), unit=world.c1,
        name="Mẫu biên bản của Đảng ủy xã", by=by,
    )  # fmt: skip
    assert copy.copied_from_id == shipped(cell_type=CellType.RESIDENTIAL).pk
    assert titles(copy) == titles(shipped(cell_type=CellType.RESIDENTIAL))
    assert positions_ok(copy)
    # Edit: rename the opening, add a section second, delete the party-fee report.
    opening = copy.sections.get(position=1)
    template_services.section_update(section=opening, by=by, title="Khai mạc (xã Hòa Bình)")
    template_services.section_add(template=copy, by=by, title="Tình hình an ninh thôn",
                                  content="text", required=True, position=2)  # fmt: skip
    fees = copy.sections.get(title__startswith="Báo cáo thu, nộp đảng phí")
    template_services.section_delete(section=fees, by=by)
    assert positions_ok(copy)

    newer = plan(world, day=MEETING_DAY.replace(day=20))
    assert newer.template == copy
    assert list(newer.sections.values_list("position", "title", "content")) == sections_of(copy)
    assert [s.title for s in newer.sections.all()][:2] == ["Khai mạc (xã Hòa Bình)",
                                                          "Tình hình an ninh thôn"]  # fmt: skip
    older.refresh_from_db()
    assert list(older.sections.values_list("position", "title", "content")) == older_sections
    assert older.template == shipped(cell_type=CellType.RESIDENTIAL)

    # A cell outside C1's subtree still gets the shipped template.
    elsewhere = services.meeting_plan(
        unit=world.d, by=world.users["admin_p"], kind=MeetingKind.REGULAR, date=MEETING_DAY,
        start_time=newer.start_time, place="Hội trường khu phố",
    )  # fmt: skip
    assert elsewhere.template == shipped(cell_type=CellType.RESIDENTIAL)
    # The copy keeps the cell type of the original: cell B under C1 (an agency) keeps the
    # shipped template for agencies …
    assert copy.cell_type == CellType.RESIDENTIAL
    assert services.template_for(world.b, MeetingKind.REGULAR) == shipped(cell_type="agency")
    # … until the copy is made for every cell type: the deepest template above wins.
    template_services.template_update(template=copy, by=by, cell_type="")
    assert services.template_for(world.b, MeetingKind.REGULAR) == copy
    assert services.template_for(world.a, MeetingKind.REGULAR) == copy
    # Taken out of use: A falls back to the shipped template of its type.
    template_services.template_update(template=copy, by=by, is_active=False)
    assert services.template_for(world.a, MeetingKind.REGULAR) == shipped(
        cell_type=CellType.RESIDENTIAL
    )


def test_a_meeting_planned_from_an_edited_template_can_be_finalised(world, c1_template):
    by = officer(world)
    template_services.section_add(template=c1_template, by=by, title="Ý kiến của tổ dân vận",
                                  content="discussion", required=True, position=3)  # fmt: skip
    meeting = record_complete(world, plan(world))
    assert meeting.template == c1_template
    assert meeting.sections.filter(title="Ý kiến của tổ dân vận").exists()
    errors, _warnings = checks.problems(meeting)
    assert errors == []


def test_deeper_copy_wins_and_an_older_copy_of_the_same_unit_is_retired(world, p_template):
    assert services.template_for(world.a, MeetingKind.REGULAR) == p_template
    first_copy = copy_for(world, world.c1, name="Bản thứ nhất")
    assert services.template_for(world.a, MeetingKind.REGULAR) == first_copy
    assert services.template_for(world.d, MeetingKind.REGULAR) == p_template
    second = template_services.template_copy(template=first_copy, unit=world.c1,
                                             name="Bản thứ hai", by=officer(world))  # fmt: skip
    first_copy.refresh_from_db()
    assert not first_copy.is_active and second.is_active
    assert second.copied_from == first_copy
    assert services.template_for(world.a, MeetingKind.REGULAR) == second
    assert AuditEntry.objects.filter(
        action="template.retire", object_id=str(first_copy.pk)
    ).exists()


def test_copy_page_and_settings_page(world, client_as):
    client = client_as("officer_c1")
    response = client.get(reverse("minutes_template_copy", args=[shipped().pk]))
    assert response.context["form"]["unit"].value() == "C1"  # their committee, by default
    response = client.post(reverse("minutes_template_copy", args=[shipped().pk]),
                           {"unit": "c1-a", "name": "  Mẫu   của thôn  "})  # fmt: skip
    copy = MinutesTemplate.objects.get(unit=world.a)
    assert response.status_code == FOUND
    assert response["Location"] == reverse("minutes_template_detail", args=[copy.pk])
    assert copy.name == "Mẫu của thôn"
    page = client.get(response["Location"])
    assert page.status_code == OK and page.context["can_edit"] is True
    response = client.post(response["Location"], {"name": "", "cell_type": "nonsense"})
    assert response.status_code == OK and response.context["form"].errors
    response = client.post(reverse("minutes_template_detail", args=[copy.pk]),
                           {"name": "Mẫu thôn Ấp Đông", "cell_type": "residential"})  # fmt: skip
    assert response.status_code == FOUND
    copy.refresh_from_db()
    assert (copy.name, copy.cell_type, copy.is_active) == ("Mẫu thôn Ấp Đông", "residential", False)


# === sections: positions and the sections the checks need ==========================================
def test_positions_stay_one_to_n_through_moves_adds_and_deletes(world, c1_template):
    by = officer(world)
    rng = random.Random(42)
    expected = [s.pk for s in c1_template.sections.order_by("position")]
    for step in range(60):
        action = rng.choice(["up", "down", "add", "delete", "update"])
        section = c1_template.sections.get(pk=rng.choice(expected))
        if action in ("up", "down"):
            template_services.section_move(section=section, by=by, direction=action)
            i = expected.index(section.pk)
            j = i - 1 if action == "up" else i + 1
            if 0 <= j < len(expected):
                expected[i], expected[j] = expected[j], expected[i]
        elif action == "add":
            position = rng.choice([None, 1, len(expected) + 1, rng.randint(1, len(expected))])
            made = template_services.section_add(template=c1_template, by=by,
                                                 title=f"Mục {step}", content="text",
                                                 position=position)  # fmt: skip
            expected.insert(len(expected) if position is None else position - 1, made.pk)
            assert made.position == expected.index(made.pk) + 1
        elif action == "delete":
            try:
                template_services.section_delete(section=section, by=by)
            except ValidationError:
                continue  # a section the checks need: refused
            expected.remove(section.pk)
        else:
            template_services.section_update(section=section, by=by, required=not section.required)
        assert positions_ok(c1_template), step
        ordered = list(c1_template.sections.order_by("position").values_list("pk", flat=True))
        assert ordered == expected, step


def test_moving_the_first_up_or_the_last_down_changes_nothing(world, c1_template):
    before = sections_of(c1_template)
    ordered = list(c1_template.sections.order_by("position"))
    template_services.section_move(section=ordered[0], by=officer(world), direction="up")
    template_services.section_move(section=ordered[-1], by=officer(world), direction="down")
    assert sections_of(c1_template) == before
    assert refusal(lambda: template_services.section_move(
        section=ordered[0], by=officer(world), direction="sideways"))  # fmt: skip


def test_the_last_discussion_section_cannot_be_deleted(world, c1_template):
    by = officer(world)
    discussions = list(c1_template.sections.filter(content=SectionContent.DISCUSSION))
    assert len(discussions) == 2
    template_services.section_delete(section=discussions[0], by=by)
    message = refusal(lambda: template_services.section_delete(section=discussions[1], by=by))
    assert "must keep a section of the kind “Discussion: speeches and the chair's conclusion”" \
        in message  # fmt: skip
    assert "conclusion with content" in message  # says why
    assert c1_template.sections.filter(content=SectionContent.DISCUSSION).count() == 1
    assert positions_ok(c1_template)
    # Nor can it become something else.
    message = refusal(lambda: template_services.section_update(
        section=discussions[1], by=by, content=SectionContent.TEXT))  # fmt: skip
    assert "Discussion" in message
    # The same refusal, in Vietnamese by default, through the page (htmx: in place, 422) …
    url = reverse("minutes_template_section_delete", args=[c1_template.pk, discussions[1].pk])
    client = Client()
    client.force_login(by)
    answer = client.post(url, **HX)
    assert answer.status_code == 422
    assert 'id="template-sections"' in answer.content.decode()
    assert "phải giữ một mục" in answer.content.decode()
    assert c1_template.sections.filter(pk=discussions[1].pk).exists()
    # … without htmx: back to the page with the message.
    answer = client.post(url, follow=True)
    assert answer.redirect_chain[-1][1] == FOUND
    assert "phải giữ một mục" in answer.content.decode()
    # … and the API.
    answer = client.delete(f"{API}/minutes-templates/{c1_template.pk}/sections/"
                             f"{discussions[1].pk}")  # fmt: skip
    assert answer.status_code == 422 and answer.json()["errors"]["__all__"]


@pytest.mark.parametrize(
    ("kind", "content", "word"),
    [
        (MeetingKind.REGULAR, SectionContent.ATTENDANCE, "Attendance"),
        (MeetingKind.THEMATIC, SectionContent.RESOLUTION, "Resolution"),
        (MeetingKind.EXTRAORDINARY, SectionContent.APPROVAL, "Approval of the minutes"),
        (MeetingKind.COMBINED, SectionContent.RESOLUTION, "vote"),
        (MeetingKind.PREPARATORY, SectionContent.ATTENDANCE, "Attendance"),
    ],
)
def test_needed_sections_cannot_be_removed(world, kind, content, word):
    copy = copy_for(world, world.c1, kind=kind)
    section = first(copy, content)
    assert word in refusal(lambda: template_services.section_delete(section=section,
                                                                    by=officer(world)))  # fmt: skip


def test_a_preparatory_template_needs_no_resolution(world):
    copy = copy_for(world, world.c1, kind=MeetingKind.PREPARATORY)
    extra = template_services.section_add(template=copy, by=officer(world),
                                          title="Nghị quyết của chi ủy", content="resolution")  # fmt: skip
    template_services.section_delete(section=extra, by=officer(world))
    assert [c for _p, _t, c in sections_of(copy)] == ["attendance", "discussion"]


def test_section_input_is_checked_and_cleaned(world, c1_template):
    by = officer(world)
    assert "title" in refusal(lambda: template_services.section_add(
        template=c1_template, by=by, title="   ", content="text"))  # fmt: skip
    assert "Choose what the section holds" in refusal(lambda: template_services.section_add(
        template=c1_template, by=by, title="Mục", content="poetry"))  # fmt: skip
    assert "between 1 and" in refusal(lambda: template_services.section_add(
        template=c1_template, by=by, title="Mục", content="text", position=99))  # fmt: skip
    decomposed = unicodedata.normalize("NFD", "  Tình hình   thôn  ")
    made = template_services.section_add(template=c1_template, by=by, title=decomposed,
                                         content="text")  # fmt: skip
    assert made.title == "Tình hình thôn"
    assert positions_ok(c1_template)


def test_shipped_templates_cannot_be_changed_by_the_services(world):
    template = shipped()
    message = refusal(lambda: template_services.template_update(
        template=template, by=world.users["admin_p"], name="x"))  # fmt: skip
    assert "copy one for your unit" in message
    assert refusal(lambda: template_services.section_delete(
        section=first(template, SectionContent.TEXT), by=world.users["admin_p"]))  # fmt: skip


def test_every_change_is_audited(world):
    by = officer(world)
    copy = copy_for(world, world.c1)
    template_services.template_update(template=copy, by=by, name="Tên mới")
    section = template_services.section_add(template=copy, by=by, title="Mục", content="text")
    template_services.section_update(section=section, by=by, guidance="Ghi rõ")
    template_services.section_move(section=section, by=by, direction="up")
    template_services.section_delete(section=section, by=by)
    word = upload_word(world, world.c1)
    template_services.word_template_deactivate(template=word, by=by)
    entries = AuditEntry.objects.filter(
        Q(action__startswith="template.") | Q(action__startswith="word_template.")
    )
    actions = list(entries.order_by("id").values_list("action", flat=True))
    assert actions == [
        "template.copy", "template.update", "template.section.add", "template.section.update",
        "template.section.move", "template.section.delete", "word_template.upload",
        "word_template.deactivate",
    ]  # fmt: skip
    entry = AuditEntry.objects.get(action="template.update")
    assert entry.actor == by and entry.changes["name"][1] == "Tên mới"


def test_htmx_section_actions_answer_with_the_list(world, client_as, c1_template):
    client = client_as("officer_c1")
    section = first(c1_template, SectionContent.TEXT)
    url = reverse("minutes_template_section_edit", args=[c1_template.pk, section.pk])
    answer = client.post(url, _section_data(f"s{section.pk}", title="Khai mạc mới"), **HX)
    assert answer.status_code == OK
    assert "Khai mạc mới" in answer.content.decode()
    answer = client.post(url, _section_data(f"s{section.pk}", title=""), **HX)
    assert answer.status_code == 422
    assert f'id="section-{section.pk}"' in answer.content.decode()
    add = reverse("minutes_template_section_add", args=[c1_template.pk])
    answer = client.post(add, _section_data("new", title="Góp ý của nhân dân", position="2"), **HX)
    assert answer.status_code == OK
    assert c1_template.sections.get(position=2).title == "Góp ý của nhân dân"
    move = reverse("minutes_template_section_move", args=[c1_template.pk, section.pk])
    assert client.post(move, {"direction": "left"}, **HX).status_code == 422
    assert positions_ok(c1_template)


# === Word templates =================================================================================
def test_an_uploaded_word_template_is_used_by_the_export(world, client_as):
    meeting = plan(world)
    before = docx_text(exporting.render(meeting, "minutes", "docx"))
    assert MARKER not in before
    uploaded = upload_word(world, world.c1)
    assert uploaded.is_active and uploaded.name == "Mẫu biên bản xã.docx"
    assert uploaded.file.name.startswith("word_templates/") and uploaded.file.name.endswith(".docx")
    # Through the download page of the meeting, as the officer and the secretary.
    for role in ("secretary_a", "officer_c1"):
        response = client_as(role).get(reverse("meeting_export", kwargs={
            "pk": meeting.pk, "document": "minutes", "fmt": "docx"}))  # fmt: skip
        assert response.status_code == OK
        text = docx_text(response.content)
        assert f"{MARKER}: Chi bộ thôn Ấp Đông" in text
    # The resolution still uses the shipped template; a cell outside C1 too.
    assert MARKER not in docx_text(exporting.render(meeting, "resolution", "docx"))
    d_meeting = services.meeting_plan(
        unit=world.d, by=world.users["admin_p"], kind=MeetingKind.REGULAR, date=MEETING_DAY,
        start_time=meeting.start_time, place="Hội trường",
    )  # fmt: skip
    assert MARKER not in docx_text(exporting.render(d_meeting, "minutes", "docx"))
    # The deepest one wins; deactivated, the one above (or the shipped one) comes back.
    province = upload_word(world, world.p, by="admin_p",
                           content=docx_bytes("MẪU CỦA TỈNH {{ title }}"))  # fmt: skip
    assert "MẪU CỦA TỈNH BIÊN BẢN" in docx_text(exporting.render(d_meeting, "minutes", "docx"))
    assert MARKER in docx_text(exporting.render(meeting, "minutes", "docx"))
    template_services.word_template_deactivate(template=uploaded, by=officer(world))
    text = docx_text(exporting.render(meeting, "minutes", "docx"))
    assert MARKER not in text and "MẪU CỦA TỈNH" in text
    template_services.word_template_deactivate(template=province, by=world.users["admin_p"])
    assert docx_text(exporting.render(meeting, "minutes", "docx")) == before
    assert "not in use any more" in refusal(lambda: template_services.word_template_deactivate(
        template=province, by=world.users["admin_p"]))  # fmt: skip


def test_a_new_upload_replaces_the_one_in_use(world):
    first_upload = upload_word(world, world.c1)
    second = upload_word(world, world.c1, content=docx_bytes("BẢN HAI {{ title }}"))
    first_upload.refresh_from_db()
    assert not first_upload.is_active and second.is_active
    assert template_selectors.word_template_for(world.a, "minutes") == second
    assert template_selectors.word_template_for(world.a, "resolution") is None
    assert Path(first_upload.file.path).exists()  # kept


def test_a_missing_file_falls_back_to_the_shipped_template(world):
    uploaded = upload_word(world, world.c1)
    Path(uploaded.file.path).unlink()
    source = exporting.word_template("minutes", world.a)
    assert source == exporting.word_template("minutes")


def test_upload_refuses_what_is_not_a_docx(world):
    def upload(content, name="mau.docx"):
        return lambda: template_services.word_template_upload(
            unit=world.c1, document="minutes", by=officer(world),
            upload=Rewinding(name, content, content_type="application/octet-stream"),
        )  # fmt: skip

    assert "must be a .docx file" in refusal(upload(b"%PDF-1.4 ...", name="mau.pdf"))
    assert "must be a .docx file" in refusal(upload(docx_bytes(), name="mau.doc"))
    assert "cannot open this file" in refusal(upload(b"PK\x03\x04 not really a zip"))
    assert "empty" in refusal(upload(b""))
    big = docx_bytes() + b"\x00" * (template_services.WORD_MAX_BYTES + 1)
    message = refusal(upload(big))
    assert "too big" in message and "MB" in message
    assert not WordTemplate.objects.exists()


def test_upload_refuses_unknown_names_and_broken_fields(world):
    def upload(*paragraphs):
        return lambda: template_services.word_template_upload(
            unit=world.c1, document="minutes", by=officer(world),
            upload=word_upload(docx_bytes(*paragraphs)),
        )  # fmt: skip

    message = refusal(upload("{{ ten_chi_bo }} — {{ meeting.cell_name }} {{ so_dang_vien }}"))
    assert "names that chibo does not provide: so_dang_vien, ten_chi_bo" in message
    assert "meeting" in message.split("can use are:")[1]
    assert "mistake in its fields" in refusal(upload("{{ title "))
    message = refusal(upload("{{ meeting.cell_name|nosuchfilter }}"))
    assert "mistake in its fields (line 1): No filter named 'nosuchfilter'. Check" in message
    assert "cannot be filled in" in refusal(upload("{{ meeting.nothing.deeper }}"))
    # Loops and Jinja's own helpers are fine.
    ok = upload("{% for s in sections %}{{ loop.index }}. {{ s.title }}{% endfor %}",
                "{% for i in range(2) %}{{ i }}{% endfor %}")  # fmt: skip
    assert ok().is_active


def test_upload_refusals_through_the_page_and_the_api(world, client_as):
    client = client_as("officer_c1")
    url = reverse("word_templates", args=[world.c1.pk])
    response = client.post(url, {"document": "minutes",
                                 "file": word_upload(b"%PDF-1.4", name="mau.pdf")})  # fmt: skip
    assert response.status_code == 422
    assert ".docx" in " ".join(response.context["form"].errors["file"])
    response = client.post(url, {"document": "minutes",
                                 "file": word_upload(docx_bytes("{{ bi_thu }}"))})  # fmt: skip
    assert "bi_thu" in " ".join(response.context["form"].errors["file"])
    response = client.post(f"{API}/units/{world.c1.pk}/word-templates",
                           {"document": "minutes", "file": word_upload(docx_bytes("{{ x }}"))})  # fmt: skip
    assert response.status_code == 422
    assert "x" in response.json()["errors"]["file"][0]
    assert not WordTemplate.objects.exists()
    page = client.get(url)
    assert page.status_code == OK
    assert [d["template"] for d in page.context["in_use"]] == [None, None]


def test_the_sample_context_has_the_shape_of_a_real_export(world):
    """Uploads are test-rendered with `SAMPLE_CONTEXT`: it must stay the shape of the data
    `export_context` gives the Word templates."""

    def same_shape(real, sample, where="") -> None:
        """Same keys in every dict; lists of dicts compared through their first items."""
        if isinstance(real, dict):
            assert isinstance(sample, dict) and set(real) == set(sample), where
            for key in real:
                same_shape(real[key], sample[key], f"{where}.{key}")
        elif isinstance(real, list):
            assert isinstance(sample, list) and sample, where
            if real and isinstance(real[0], dict):
                same_shape(real[0], sample[0], f"{where}[0]")

    meeting = record_complete(world, plan(world))
    secretary = world.users["secretary_a"]
    acks = {w.code: "Đã báo cáo cấp ủy" for w in checks.problems(meeting)[1]}
    meeting = services.meeting_finalise(meeting=meeting, by=secretary, acknowledgements=acks)
    services.addendum_add(meeting=meeting, by=secretary, part="Phần I", text="Sửa số liệu.",
                          reason="Ghi nhầm.")  # fmt: skip
    real = exporting.export_context(meeting)
    assert real["addenda"] and real["assignments"] and real["sections"]
    same_shape(real, template_services.SAMPLE_CONTEXT)
    assert set(real) == set(template_services.CONTEXT_NAMES)
    # The shipped templates pass the upload check.
    for document in ("minutes", "resolution"):
        content = exporting.word_template(document).read_bytes()
        assert template_services.check_word_template(word_upload(content))["size"] == len(content)


# === query counts ====================================================================================
def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == OK
    return len(ctx.captured_queries)


def test_template_lists_issue_a_constant_number_of_queries(world, client_as):
    page = reverse("minutes_template_list")
    api = f"{API}/minutes-templates?limit=500"
    client = client_as("officer_c1")
    before = (_queries(client, page), _queries(client, api))
    for i, unit in enumerate([world.c1, world.a, world.b] * 4):
        kind = [MeetingKind.REGULAR, MeetingKind.THEMATIC, MeetingKind.PREPARATORY][i % 3]
        copy_for(world, unit, kind=kind, name=f"Mẫu {i}")
    after = (_queries(client, page), _queries(client, api))
    assert after == before
    assert MinutesTemplate.objects.filter(unit__isnull=False).count() == 12
    response = client.get(api)
    assert response.json()["count"] == MinutesTemplate.objects.count()


def test_word_template_page_issues_a_constant_number_of_queries(world, client_as):
    client = client_as("officer_c1")
    url = reverse("word_templates", args=[world.c1.pk])
    upload_word(world, world.c1)
    before = _queries(client, url)
    for _ in range(4):
        upload_word(world, world.c1)
    assert _queries(client, url) == before


def test_the_list_groups_by_kind_and_marks_what_can_be_edited(world, client_as, c1_template):
    response = client_as("officer_c1").get(reverse("minutes_template_list"))
    groups = {g["kind"]: g["items"] for g in response.context["groups"]}
    assert list(groups) == [k for k in MeetingKind.values if k in groups]
    regular = dict((t.pk, editable) for t, editable in groups["regular"])
    assert regular[c1_template.pk] is True and regular[shipped().pk] is False
    response = client_as("officer_c1").get(reverse("minutes_template_list") + "?kind=thematic")
    assert [g["kind"] for g in response.context["groups"]] == ["thematic"]
    assert TemplateSection.objects.filter(template=c1_template).count() == 14


def test_api_bodies_and_refusals(world, client_as, c1_template):
    client = client_as("officer_c1")
    base = f"{API}/minutes-templates/{c1_template.pk}"
    json = {"content_type": "application/json"}
    body = client.patch(base, {"cell_type": "residential", "is_active": False}, **json).json()
    assert (body["cell_type"], body["is_active"]) == ("residential", False)
    assert body["cell_type_label"] and body["can_edit"] is True
    body = client.patch(base, {"cell_type": "", "name": "  Mẫu  xã "}, **json).json()
    assert (body["cell_type"], body["name"]) == ("", "Mẫu xã")
    assert client.patch(base, {"kind": "thematic"}, **json).status_code == 422  # not changeable
    answer = client.post(f"{base}/sections", {"title": "Mục", "content": "poem"}, **json)
    assert answer.status_code == 422 and "content" in answer.json()["errors"]
    answer = client.post(f"{base}/sections", {"title": "Ý kiến nhân dân", "content": "text",
                                              "position": 1, "required": True}, **json)  # fmt: skip
    assert answer.status_code == CREATED
    sections = answer.json()["sections"]
    assert sections[0]["title"] == "Ý kiến nhân dân" and sections[0]["required"] is True
    assert [s["position"] for s in sections] == list(range(1, len(sections) + 1))
    approval = first(c1_template, SectionContent.APPROVAL)
    answer = client.patch(f"{base}/sections/{approval.pk}", {"content": "text"}, **json)
    assert answer.status_code == 422
    assert "Approval of the minutes" in answer.json()["errors"]["__all__"][0] or (
        "Thông qua" in answer.json()["errors"]["__all__"][0]
    )
    answer = client.post(f"{base}/sections/{approval.pk}/move", {"direction": "up"}, **json)
    assert answer.status_code == OK
    moved = {s["id"]: s["position"] for s in answer.json()["sections"]}
    assert moved[approval.pk] == len(sections) - 1
    response = client.get(f"{API}/word-templates/shipped/resolution")
    assert response.status_code == OK
    assert (
        b"".join(response.streaming_content) == exporting.word_template("resolution").read_bytes()
    )
    openapi = client.get(f"{API}/openapi.json").json()
    assert "/api/v1/minutes-templates/{template_id}/sections/{section_id}/move" in openapi["paths"]
