"""Printed minutes and resolutions (.docx and PDF): what they say, in the party's document
format, the draft before finalisation, who may download them (pages and API), and the Word
templates being those the build script makes."""

import datetime
import importlib.machinery
import importlib.util
import io
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.meetings import exporting, services
from chibo.meetings.models import MeetingKind, Presence
from chibo.org.models import MemberStatus, Position

from ..conftest import check_matrix
from ..factories import MemberFactory
from .conftest import plan

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
DOCUMENTS = [("minutes", "docx"), ("minutes", "pdf"), ("resolution", "docx"),
             ("resolution", "pdf")]  # fmt: skip
ALL = ["member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"]
READERS_A = {"secretary_a", "officer_c1", "admin_p"}


# --- reading the files ---------------------------------------------------------------------------
def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _docx_paragraphs(document) -> list:
    """Every paragraph of the body (tables included) and of the headers and footers."""
    paragraphs = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header,
                     section.first_page_footer):  # fmt: skip
            paragraphs.extend(part.paragraphs)
    return paragraphs


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    return _flat("\n".join(p.text for p in _docx_paragraphs(document)))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return _flat("\n".join(page.extract_text() for page in reader.pages))


def text_of(content: bytes, fmt: str) -> str:
    return docx_text(content) if fmt == "docx" else pdf_text(content)


# --- meetings --------------------------------------------------------------------------------------
def _secretary(world):
    return world.users["secretary_a"]


@pytest.fixture
def finalised(world, complete_meeting):
    services.meeting_record_update(meeting=complete_meeting, by=_secretary(world),
                                   resolution_number="05-NQ/CB")  # fmt: skip
    return services.meeting_finalise(meeting=complete_meeting, by=_secretary(world))


@pytest.fixture
def recording(world):
    """Cell A's meeting being recorded: Hoa absent with a reason, Sơn without, a guest from
    the commune committee."""
    by = _secretary(world)
    meeting = plan(world)
    services.meeting_announce(meeting=meeting, by=by)
    services.meeting_start_recording(meeting=meeting, by=by)
    lines = {line.member_id: line for line in meeting.attendance.all()}
    services.attendance_mark(line=lines[world.hoa.pk], by=by, presence=Presence.ABSENT_EXCUSED,
                             reason="Ốm")  # fmt: skip
    services.attendance_mark(line=lines[world.son.pk], by=by,
                             presence=Presence.ABSENT_UNEXCUSED)  # fmt: skip
    services.attendance_mark(line=lines[world.ung.pk], by=by, presence=Presence.PRESENT)
    services.guest_add(meeting=meeting, by=by, name="Ngô Thị Lan", position="Đảng ủy viên xã",
                       is_upper_attendee=True)  # fmt: skip
    meeting.refresh_from_db()
    return meeting


# --- the minutes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_finalised_minutes_say_everything_with_the_hash(world, finalised, fmt):
    content = exporting.render(finalised, "minutes", fmt)
    text = text_of(content, fmt)
    for expected in [
        # Header: issuing body left, national heading right, place and date.
        "ĐẢNG BỘ XÃ HÒA BÌNH", "CHI BỘ THÔN ẤP ĐÔNG", "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Hòa Bình, ngày 05 tháng 11 năm 2026",
        # Title.
        "BIÊN BẢN SINH HOẠT CHI BỘ THƯỜNG KỲ THÁNG 11 NĂM 2026",
        # Time, place and the attendance figures.
        "Hồi 14 giờ 00 phút, ngày 05 tháng 11 năm 2026, tại Nhà văn hóa thôn",
        "Tổng số đảng viên của chi bộ: 3 đồng chí (chính thức: 2; dự bị: 1)",
        "Có mặt: 3 đồng chí (chính thức: 2; dự bị: 1; sinh hoạt tạm thời: 0), đạt 100%",
        "Vắng có lý do: không.", "Vắng không có lý do: không.",
        "Chủ trì: đồng chí Trần Văn Ưng; thư ký: đồng chí Đặng Thị Hoa.",
        # A speech and the chair's conclusion.
        "Đồng chí Đặng Thị Hoa: Đề nghị huy động đoàn viên thanh niên làm đường.",
        "Kết luận của chủ trì: Giao đồng chí Hoa vận động thanh niên, hoàn thành trước 30/11.",
        # The resolution and its vote; the assignment with its deadline.
        "Nghị quyết số 05-NQ/CB: Chi bộ quyết nghị hoàn thành sửa đường liên thôn",
        "Biểu quyết: 2/2 đồng chí tán thành (100%), 0 không tán thành, 0 không biểu quyết.",
        "Vận động thanh niên làm đường: đồng chí Đặng Thị Hoa; thời hạn: 30/11/2026.",
        "chi bộ biểu quyết thông qua biên bản: 3 đồng chí tán thành",
        "Buổi sinh hoạt kết thúc hồi 16 giờ 00 phút cùng ngày.",
        # Signatures and the content hash.
        "THƯ KÝ", "CHỦ TRÌ", f"Mã kiểm tra: {finalised.content_hash}",
    ]:  # fmt: skip
        assert expected in text, f"{expected!r} missing from the {fmt}:\n{text}"
    assert len(finalised.content_hash) == 64
    assert "DỰ THẢO" not in text


def test_minutes_docx_follows_the_party_document_format(finalised):
    document = docx.Document(io.BytesIO(exporting.minutes_docx(finalised)))
    section = document.sections[0]
    # A4; margins top/bottom 20 mm, left 30 mm, right 15 mm (HD 36).
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [20, 20, 30, 15]  # fmt: skip
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14
    runs = {r.text: r for p in _docx_paragraphs(document) for r in p.runs if r.text.strip()}
    national = runs["ĐẢNG CỘNG SẢN VIỆT NAM"]
    assert national.bold and national.underline
    assert runs["Hòa Bình, ngày 05 tháng 11 năm 2026"].italic
    assert runs["CHI BỘ THÔN ẤP ĐÔNG"].bold
    assert "*" in runs
    # The hash on every page, the first one included.
    assert finalised.content_hash in section.footer.paragraphs[0].text
    assert finalised.content_hash in section.first_page_footer.paragraphs[0].text


def test_minutes_pdf_is_a4_with_the_hash_on_every_page(finalised):
    reader = pypdf.PdfReader(io.BytesIO(exporting.minutes_pdf(finalised)))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    for page in reader.pages:
        assert finalised.content_hash in _flat(page.extract_text())
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    serif = {f for f in fonts if "Mono" not in f}
    assert serif and all(f.startswith(("Liberation-Serif", "TimesNewRoman", "DejaVu-Serif"))
                         for f in serif), fonts  # fmt: skip
    if _serif_with_vietnamese_installed():
        # One typeface for the whole text: no letter falls back to another font.
        assert not any(f.startswith("DejaVu") for f in serif), fonts


def _serif_with_vietnamese_installed() -> bool:
    """Liberation Serif 2 (Debian fonts-liberation2) has the Vietnamese letters; 1.x has not."""
    try:
        found = subprocess.run(["fc-list", ":charset=1ee6", "family"], capture_output=True,
                               text=True, check=False).stdout  # fmt: skip
    except OSError:
        return False
    return "Liberation Serif" in found


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_draft_is_marked_and_has_no_hash(world, recording, fmt):
    text = text_of(exporting.render(recording, "minutes", fmt), fmt)
    assert "DỰ THẢO" in text
    assert "Mã kiểm tra" not in text
    for expected in [
        "Có mặt: 1 đồng chí (chính thức: 1; dự bị: 0; sinh hoạt tạm thời: 0)",
        "Vắng có lý do: 1 đồng chí: Đặng Thị Hoa (Ốm).",
        "Vắng không có lý do: 1 đồng chí: Lê Văn Sơn.",
        "Đồng chí cấp ủy cấp trên dự sinh hoạt: Ngô Thị Lan, Đảng ủy viên xã.",
        "Biểu quyết: chưa ghi nhận.",
        "Kết luận của chủ trì: …",
    ]:
        assert expected in text, f"{expected!r} missing from the {fmt}:\n{text}"
    assert exporting.file_name(recording, "minutes", fmt) == (
        f"bien-ban-du-thao-2026-11-05-chi-bo-thon-ap-dong.{fmt}"
    )


def test_the_secretary_as_chair_signs_on_behalf_of_the_cell(world, complete_meeting):
    world.ung.position = Position.SECRETARY
    world.ung.save()
    text = docx_text(exporting.minutes_docx(complete_meeting))
    assert "T/M CHI BỘ BÍ THƯ" in text
    assert "CHỦ TRÌ Trần" not in text


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_addenda_follow_the_minutes(world, finalised, fmt):
    services.addendum_add(meeting=finalised, by=_secretary(world), part="Phân công nhiệm vụ",
                          text="Thời hạn đúng là ngày 28/11/2026.", reason="Ghi nhầm ngày.")  # fmt: skip
    text = text_of(exporting.render(finalised, "minutes", fmt), fmt)
    tail = text.split("ĐÍNH CHÍNH BIÊN BẢN", 1)[1]
    assert "Thời hạn đúng là ngày 28/11/2026." in tail
    assert "Lý do: Ghi nhầm ngày." in tail
    assert finalised.addenda.get().content_hash in tail


def test_user_text_keeps_its_line_breaks_and_is_escaped(world, complete_meeting):
    services.meeting_record_update(
        meeting=complete_meeting, by=_secretary(world),
        resolution_text="Chi bộ quyết nghị:\n1. Sửa đường <liên thôn> & cầu.\n2. Thu đảng phí.",
    )  # fmt: skip
    document = docx.Document(io.BytesIO(exporting.minutes_docx(complete_meeting)))
    paragraph = next(p for p in document.paragraphs if "Sửa đường" in p.text)
    assert "Chi bộ quyết nghị:\n1. Sửa đường <liên thôn> & cầu.\n2. Thu đảng phí." in paragraph.text
    assert "<liên thôn> & cầu" in pdf_text(exporting.minutes_pdf(complete_meeting))


# --- the resolution ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_resolution_has_the_four_sections_and_signature(world, finalised, fmt):
    text = text_of(exporting.render(finalised, "resolution", fmt), fmt)
    for expected in [
        "ĐẢNG BỘ XÃ HÒA BÌNH", "CHI BỘ THÔN ẤP ĐÔNG", "Số 05-NQ/CB", "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Hòa Bình, ngày 05 tháng 11 năm 2026", "NGHỊ QUYẾT",
        "Sinh hoạt chi bộ thường kỳ tháng 11 năm 2026", "CHI BỘ QUYẾT NGHỊ:",
        "I. ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN NHIỆM VỤ",
        "II. PHƯƠNG HƯỚNG, NHIỆM VỤ",
        "Chi bộ quyết nghị hoàn thành sửa đường liên thôn trước ngày 30/11.",
        "III. PHÂN CÔNG TỔ CHỨC THỰC HIỆN",
        "Vận động thanh niên làm đường: đồng chí Đặng Thị Hoa; thời hạn: 30/11/2026.",
        "IV. TỰ ĐÁNH GIÁ CHẤT LƯỢNG BUỔI SINH HOẠT",
        "Thời gian sinh hoạt: từ 14 giờ 00 đến 16 giờ 00 (120 phút).",
        "Đảng viên dự sinh hoạt: 3 đồng chí, đạt 100%",
        # Three members: no committee, the cell signs.
        "T/M CHI BỘ", "BÍ THƯ", "Nơi nhận:", "Đảng ủy xã Hòa Bình (để báo cáo)",
        f"Mã kiểm tra: {finalised.content_hash}",
    ]:  # fmt: skip
        assert expected in text, f"{expected!r} missing from the {fmt}:\n{text}"
    assert "T/M CHI ỦY" not in text
    # The evaluation section holds the conclusion of the evaluation item.
    evaluation = text.split("I. ĐÁNH GIÁ", 1)[1].split("II. PHƯƠNG HƯỚNG", 1)[0]
    assert "Giao đồng chí Hoa vận động thanh niên" in evaluation


def test_a_cell_with_a_committee_signs_on_behalf_of_the_committee(world, finalised):
    # Hoa sits on the committee: the cell has one (fewer than 9 official members otherwise).
    world.hoa.position = Position.COMMITTEE
    world.hoa.save()
    text = docx_text(exporting.resolution_docx(finalised))
    assert "T/M CHI ỦY" in text


def test_a_preparatory_meeting_has_no_resolution(world):
    meeting = plan(world, kind=MeetingKind.PREPARATORY)
    with pytest.raises(exporting.DocumentMissing):
        exporting.resolution_docx(meeting)
    assert "HỌP CHI ỦY CHUẨN BỊ NỘI DUNG SINH HOẠT CHI BỘ" in docx_text(
        exporting.minutes_docx(meeting)
    )


# --- formatting helpers ----------------------------------------------------------------------------
def test_dates_names_and_file_names():
    assert exporting.vn_date(datetime.date(2026, 2, 3)) == "ngày 03 tháng 02 năm 2026"
    assert exporting.vn_date(datetime.date(2026, 12, 25)) == "ngày 25 tháng 12 năm 2026"
    assert exporting.organisation_of("Đảng ủy xã Hòa Bình") == "xã Hòa Bình"
    assert exporting.organisation_of("Tỉnh ủy Minh Sơn") == "tỉnh Minh Sơn"
    assert exporting.organisation_of("Thành ủy Huế") == "thành phố Huế"
    assert exporting.slug("Chi bộ thôn Đông") == "chi-bo-thon-dong"
    assert exporting.vn_percent(6 / 7) == "85,7%"
    assert exporting.vn_percent(1.0) == "100%"


def test_the_data_is_read_in_a_fixed_number_of_queries(world, complete_meeting):
    with CaptureQueriesContext(connection) as small:
        exporting.export_context(complete_meeting)
    for _ in range(12):
        MemberFactory(cell=world.a, status=MemberStatus.OFFICIAL)
    bigger = plan(world, day=datetime.date(2026, 12, 3))
    services.meeting_announce(meeting=bigger, by=_secretary(world))
    services.meeting_start_recording(meeting=bigger, by=_secretary(world))
    with CaptureQueriesContext(connection) as large:
        exporting.export_context(bigger)
    assert len(large) <= len(small) + 1  # the chair and clerk may be read once more


def test_the_word_templates_are_those_the_script_builds(tmp_path):
    loader = importlib.machinery.SourceFileLoader(
        "build_word_templates", str(ROOT / "scripts" / "build-word-templates")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    for name, build in (("minutes", module.minutes), ("resolution", module.resolution)):
        built = tmp_path / f"{name}.docx"
        build().save(built)
        committed = exporting.word_template(name)
        with zipfile.ZipFile(built) as new, zipfile.ZipFile(committed) as old:
            assert sorted(new.namelist()) == sorted(old.namelist())
            for member in new.namelist():
                assert new.read(member) == old.read(member), (
                    f"{committed.name}:{member} differs: run scripts/build-word-templates"
                )
        document = docx.Document(str(committed))
        assert round(document.sections[0].left_margin.mm) == 30


# --- downloads: pages ----------------------------------------------------------------------------
def _url(meeting, document, fmt):
    return reverse("meeting_export", kwargs={"pk": meeting.pk, "document": document, "fmt": fmt})


def _expect(ok: set[str], forbidden: set[str] = frozenset(), anonymous: int = 302):
    expected = {role: 200 if role in ok else 403 if role in forbidden else 404 for role in ALL}
    expected["anonymous"] = anonymous
    return expected


@pytest.mark.parametrize(("document", "fmt"), DOCUMENTS)
def test_finalised_download_matrix(world, client_as, finalised, document, fmt):
    responses = check_matrix(client_as, _url(finalised, document, fmt),
                             _expect(READERS_A | {"member_a"}))  # fmt: skip
    response = responses["member_a"]
    assert response["Content-Type"] == exporting.CONTENT_TYPES[fmt]
    stem = {"minutes": "bien-ban", "resolution": "nghi-quyet"}[document]
    assert response["Content-Disposition"] == (
        f'attachment; filename="{stem}-2026-11-05-chi-bo-thon-ap-dong.{fmt}"'
    )
    assert finalised.content_hash in text_of(response.content, fmt)


@pytest.mark.parametrize(("document", "fmt"), [("minutes", "docx"), ("resolution", "pdf")])
def test_draft_download_matrix(world, client_as, recording, document, fmt):
    # Readers of the cell print the draft; the member waits for the finalised minutes.
    responses = check_matrix(client_as, _url(recording, document, fmt),
                             _expect(READERS_A, forbidden={"member_a"}))  # fmt: skip
    assert "DỰ THẢO" in text_of(responses["secretary_a"].content, fmt)


def test_a_planned_meeting_is_hidden_from_the_member(world, client_as):
    meeting = plan(world)
    check_matrix(client_as, _url(meeting, "minutes", "docx"), _expect(READERS_A))


def test_meeting_of_another_cell_and_unknown_files_are_404(world, client_as, finalised):
    meeting_d = services.meeting_plan(
        unit=world.d, by=world.users["admin_p"], kind=MeetingKind.REGULAR,
        date=datetime.date(2026, 11, 6), start_time=datetime.time(8, 0), place="Hội trường",
    )  # fmt: skip
    check_matrix(client_as, _url(meeting_d, "minutes", "docx"),
                 _expect({"officer_c2", "admin_p"}))  # fmt: skip
    client = client_as("secretary_a")
    for url in (f"/meetings/{finalised.pk}/export/minutes.odt",
                f"/meetings/{finalised.pk}/export/agenda.pdf",
                "/meetings/999999/export/minutes.pdf"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(_url(finalised, "minutes", "docx")).status_code == 405


def test_without_the_pdf_engine_the_page_says_so_in_vietnamese(world, client_as, finalised,
                                                               monkeypatch):  # fmt: skip
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    response = client_as("secretary_a").get(_url(finalised, "minutes", "pdf"))
    assert response.status_code == 503
    assert "chưa in được bản PDF" in response.content.decode()
    # Word still works.
    assert client_as("secretary_a").get(_url(finalised, "minutes", "docx")).status_code == 200


# --- downloads: API ------------------------------------------------------------------------------
@pytest.mark.parametrize("file", ["minutes.docx", "minutes.pdf", "resolution.docx",
                                  "resolution.pdf"])  # fmt: skip
def test_api_export_matrix(world, api_client_as, finalised, recording, file):
    url = f"{API}/meetings/{{}}/export/{file}"
    responses = check_matrix(api_client_as, url.format(finalised.pk),
                             _expect(READERS_A | {"member_a"}, anonymous=401))  # fmt: skip
    fmt = file.split(".")[1]
    assert responses["member_a"]["Content-Type"] == exporting.CONTENT_TYPES[fmt]
    assert "attachment; filename=" in responses["member_a"]["Content-Disposition"]
    # Not finalised: a draft for the readers, 403 for the member.
    check_matrix(api_client_as, url.format(recording.pk),
                 _expect(READERS_A, forbidden={"member_a"}, anonymous=401))  # fmt: skip


def test_api_unknown_file_and_missing_engine(world, client_as, finalised, monkeypatch):
    client = client_as("secretary_a")
    assert client.get(f"{API}/meetings/{finalised.pk}/export/minutes.odt").status_code == 422
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    response = client.get(f"{API}/meetings/{finalised.pk}/export/minutes.pdf")
    assert response.status_code == 503
    assert "chưa in được bản PDF" in response.json()["detail"]
