"""Documents: published to a subtree or added to a meeting, read marks, who has read what, and
the confidential rule — no path lets the body of a confidential document in."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chibo.documents import services
from chibo.documents.models import Confidentiality, Document, DocumentRead
from chibo.meetings import services as meetings
from tests.api.conftest import API, JSON
from tests.conftest import check_matrix
from tests.meetings.test_api import row

from ..meetings.conftest import plan

pytestmark = pytest.mark.django_db
FOUND = 302
SECRET = "Nội dung mật không được lưu"


def page_row(ok_roles, ok=200, forbidden=frozenset()):
    return row(ok_roles, ok, forbidden) | {"anonymous": FOUND}


@pytest.fixture
def directive(world):
    return services.document_publish(unit=world.c1, by=world.users["officer_c1"], kind="directive",
                                     number="05-CT/ĐU", title="Chỉ thị về sinh hoạt chi bộ",
                                     confidentiality="normal", body="Các chi bộ thực hiện…")  # fmt: skip


@pytest.fixture
def announced(world):
    meeting = plan(world, day=timezone.localdate() + datetime.timedelta(days=4))
    meetings.meeting_announce(meeting=meeting, by=world.users["secretary_a"])
    return meeting


@pytest.fixture
def draft(world, announced):
    return services.document_add_to_meeting(meeting=announced, by=world.users["secretary_a"],
                                            title="Dự thảo báo cáo tháng", confidentiality="normal",
                                            body="Tháng qua chi bộ đã…")  # fmt: skip


def test_confidential_documents_keep_only_their_reference(world):
    officer = world.users["officer_c1"]
    with pytest.raises(ValidationError) as error:
        services.document_publish(unit=world.c1, by=officer, kind="directive", title="Kế hoạch",
                                  confidentiality="confidential", body=SECRET,
                                  where_to_read="Văn phòng Đảng ủy")  # fmt: skip
    assert "body" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.document_publish(unit=world.c1, by=officer, kind="directive", title="Kế hoạch",
                                  confidentiality="confidential")  # fmt: skip
    assert "where_to_read" in error.value.message_dict
    secret = services.document_publish(unit=world.c1, by=officer, kind="directive", number="12-KH/ĐU",
                                       title="Kế hoạch", confidentiality="confidential",
                                       where_to_read="Văn phòng Đảng ủy")  # fmt: skip
    # Not even the ORM can put a body in: the database refuses.
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=secret.pk).update(body=SECRET)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(province=world.p, unit=world.c1, kind="news", title="x",
                                confidentiality=Confidentiality.CONFIDENTIAL, body=SECRET,
                                published_by=officer)  # fmt: skip
    assert not Document.objects.filter(body__contains=SECRET).exists()


def test_the_api_and_pages_refuse_a_confidential_body(world, client_as, api_client_as):
    body = {"title": "Kế hoạch", "confidentiality": "confidential", "body": SECRET,
            "where_to_read": "Văn phòng Đảng ủy"}  # fmt: skip
    response = api_client_as("officer_c1").post(f"{API}/units/{world.c1.pk}/documents", body, **JSON)
    assert response.status_code == 422 and "body" in response.json()["errors"]
    page = client_as("officer_c1").post(reverse("document_publish", args=[world.c1.pk]),
                                        body | {"kind": "directive"})  # fmt: skip
    assert page.status_code == 422 and "hãy xóa nội dung" in page.content.decode()
    assert not Document.objects.filter(body__contains=SECRET).exists()


def test_publish_and_read_matrix(world, client_as, directive):
    check_matrix(client_as, reverse("document_publish", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(client_as, reverse("document_publish", args=[world.c1.pk]),
                 page_row({"officer_c1", "admin_p"}, FOUND), method="post",
                 data={"kind": "news", "title": "Tin mới", "confidentiality": "normal", "body": "Tin."})  # fmt: skip
    # Everyone in C1's subtree and the levels above read it; C2's people do not even see it.
    url = reverse("document_detail", args=[directive.pk])
    check_matrix(client_as, url, page_row({"member_a", "secretary_a", "secretary_b", "officer_c1", "admin_p"}))
    assert set(DocumentRead.objects.filter(document=directive).values_list("user__username", flat=True)) == {
        "member_a", "secretary_a", "secretary_b", "officer_c1", "admin_p"}
    check_matrix(client_as, reverse("document_list"),
                 page_row({"member_a", "secretary_a", "secretary_b", "officer_c1", "officer_c2", "admin_p"}))  # fmt: skip
    assert directive.title not in client_as("officer_c2").get(reverse("document_list")).content.decode()


def test_readers_are_shown_to_secretaries_and_officers_only(world, client_as, draft):
    client_as("member_a").get(reverse("document_detail", args=[draft.pk]))
    for role, sees in (("member_a", False), ("secretary_a", True), ("officer_c1", True)):
        page = client_as(role).get(reverse("document_detail", args=[draft.pk])).content.decode()
        assert ('id="readers"' in page) is sees, role
    page = client_as("secretary_a").get(reverse("document_detail", args=[draft.pk])).content.decode()
    assert "Đặng Thị Hoa" in page  # Hoa read it


def test_meeting_documents_matrix(world, client_as, announced, draft):
    check_matrix(client_as, reverse("meeting_document_add", args=[announced.pk]),
                 page_row({"secretary_a"}, FOUND, forbidden={"member_a", "officer_c1", "admin_p"}),
                 method="post", data={"title": "Dự thảo nghị quyết", "confidentiality": "normal",
                                      "body": "Chi bộ quyết nghị…"})  # fmt: skip
    check_matrix(client_as, reverse("document_detail", args=[draft.pk]),
                 page_row({"member_a", "secretary_a", "officer_c1", "admin_p"}))  # fmt: skip
    meeting_page = client_as("member_a").get(reverse("meeting_detail", args=[announced.pk])).content.decode()
    assert draft.title in meeting_page and "chưa đọc" in meeting_page


def test_api_matrix(world, api_client_as, directive, draft):
    everyone_in_c1 = {"member_a", "secretary_a", "secretary_b", "officer_c1", "admin_p"}
    check_matrix(api_client_as, f"{API}/documents/{directive.pk}", row(everyone_in_c1))
    check_matrix(api_client_as, f"{API}/documents/{draft.pk}",
                 row({"member_a", "secretary_a", "officer_c1", "admin_p"}))  # fmt: skip
    check_matrix(api_client_as, f"{API}/documents/{draft.pk}/read",
                 row({"member_a", "secretary_a", "officer_c1", "admin_p"}), method="post")  # fmt: skip
    check_matrix(api_client_as, f"{API}/documents/{draft.pk}/readers",
                 row({"secretary_a", "officer_c1", "admin_p"}, forbidden={"member_a"}))  # fmt: skip
    listed = api_client_as("member_a").get(f"{API}/documents").json()
    assert {d["id"] for d in listed} == {directive.pk, draft.pk}
    check_matrix(api_client_as, f"{API}/documents", row({"member_a", "secretary_a", "secretary_b",
                                                         "officer_c1", "officer_c2", "admin_p"}))  # fmt: skip
    check_matrix(api_client_as, f"{API}/units/{world.c1.pk}/documents",
                 row({"officer_c1", "admin_p"}, 201), method="post",
                 data={"title": "Tin", "confidentiality": "normal", "body": "Tin."}, **JSON)  # fmt: skip
    check_matrix(api_client_as, f"{API}/meetings/{draft.meeting_id}/documents",
                 row({"secretary_a"}, 201, forbidden={"member_a", "officer_c1", "admin_p"}),
                 method="post", data={"title": "Báo cáo", "confidentiality": "normal", "body": "…"},
                 **JSON)  # fmt: skip


def test_read_marks_once_and_the_home_page(world, client_as, directive, draft):
    client = client_as("member_a")
    home = client.get(reverse("member_home")).content.decode()
    documents = home[home.index('id="documents"'):home.index('id="tasks"')]
    assert draft.title in documents and directive.title in documents and "chưa đọc" in documents
    client.get(reverse("document_detail", args=[directive.pk]))
    client.get(reverse("document_detail", args=[directive.pk]))
    assert DocumentRead.objects.filter(document=directive).count() == 1
    home = client.get(reverse("member_home")).content.decode()
    documents = home[home.index('id="documents"'):home.index('id="tasks"')]
    assert directive.title not in documents  # read: no longer "to read"
    assert draft.title in documents  # the next meeting's documents stay, marked


def test_not_for_outsiders(world, announced):
    with pytest.raises(PermissionDenied):
        services.document_add_to_meeting(meeting=announced, by=world.users["secretary_b"],
                                         title="x", confidentiality="normal", body="x")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.document_publish(unit=world.c2, by=world.users["officer_c1"], kind="news",
                                  title="x", confidentiality="normal", body="x")  # fmt: skip


# --- files ------------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="chi-thi-05.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def with_file(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return services.document_publish(unit=world.c1, by=world.users["officer_c1"], kind="directive",
                                     number="05-CT/ĐU", title="Chỉ thị (bản chụp)",
                                     confidentiality="normal", file=pdf())  # fmt: skip


def test_a_document_can_be_a_file_served_only_to_its_readers(world, client_as, api_client_as, with_file):
    assert (with_file.file_name, with_file.file_size, with_file.body) == ("chi-thi-05.pdf", len(PDF), "")
    url = reverse("document_file", args=[with_file.pk])
    readers = {"member_a", "secretary_a", "secretary_b", "officer_c1", "admin_p"}
    responses = check_matrix(client_as, url, page_row(readers))
    download = responses["member_a"]
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"
    check_matrix(api_client_as, f"{API}/documents/{with_file.pk}/file", row(readers))
    assert DocumentRead.objects.filter(document=with_file, user=world.users["member_a"]).exists()
    page = client_as("member_a").get(reverse("document_detail", args=[with_file.pk])).content.decode()
    assert "chi-thi-05.pdf" in page and url in page


def test_a_document_without_a_file_has_no_download(world, client_as, directive):
    assert client_as("member_a").get(reverse("document_file", args=[directive.pk])).status_code == 404


def test_a_confidential_document_is_never_uploaded(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as refused:
        services.document_publish(unit=world.c1, by=world.users["officer_c1"], kind="directive",
                                  title="Nghị quyết mật", confidentiality=Confidentiality.CONFIDENTIAL,
                                  where_to_read="Văn phòng Đảng ủy", file=pdf())  # fmt: skip
    assert "không bao giờ được tải lên" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists() and not list(tmp_path.rglob("*.pdf"))


def test_a_file_that_is_not_what_it_says_is_refused_in_vietnamese(world, client_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client_as("officer_c1").post(reverse("document_publish", args=[world.c1.pk]), {
        "kind": "news", "title": "Tin", "confidentiality": "normal",
        "file": pdf("tin.pdf", b"MZ\x90\x00 not a pdf")})  # fmt: skip
    assert response.status_code == 422
    assert "không phải tệp .pdf" in response.content.decode()
    assert not Document.objects.exists()


def test_the_database_refuses_a_file_on_a_confidential_document(world, with_file):
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=with_file.pk).update(confidentiality=Confidentiality.CONFIDENTIAL)


def test_api_publishes_a_document_as_a_file(world, api_client_as, settings, tmp_path, announced):
    settings.MEDIA_ROOT = tmp_path
    fields = {"kind": "directive", "title": "Chỉ thị (bản chụp)", "confidentiality": "normal"}
    expected = row({"officer_c1", "admin_p"}, 201)  # the access matrix, a fresh file each time
    got = {}
    for role in expected:
        response = api_client_as(role).post(f"{API}/units/{world.c1.pk}/documents/file",
                                            data={**fields, "file": pdf()})  # fmt: skip
        got[role] = response.status_code
    assert got == expected
    made = Document.objects.filter(title="Chỉ thị (bản chụp)").first()
    assert made.file_name == "chi-thi-05.pdf" and made.unit == world.c1
    response = api_client_as("secretary_a").post(
        f"{API}/meetings/{announced.pk}/documents/file",
        data={"title": "Dự thảo (tệp)", "confidentiality": "confidential", "where_to_read": "Văn phòng",
              "file": pdf()})  # fmt: skip
    assert response.status_code == 422 and "không bao giờ được tải lên" in response.json()["errors"]["file"][0]
    response = api_client_as("secretary_a").post(
        f"{API}/meetings/{announced.pk}/documents/file",
        data={"title": "Dự thảo (tệp)", "confidentiality": "normal", "file": pdf("du-thao.pdf")})  # fmt: skip
    assert response.status_code == 201 and response.json()["file_name"] == "du-thao.pdf"
