"""The demo data: the small province (`chibo demo`) and the seed-004 province generator."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chibo.accounts.models import Grant, User
from chibo.core.models import AuditEntry
from chibo.core.text import fold, person_sort_key
from chibo.org import demo
from chibo.org.models import (
    CellType,
    Exemption,
    Member,
    MemberEvent,
    MemberStatus,
    Position,
    TemporaryAttachment,
    Unit,
    UnitKind,
)
from chibo.org.services import MEMBER_FIELDS, member_data_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


def snapshot(code: str):
    """Everything the demo wrote for a province, without database ids."""
    province = Unit.objects.get(code=code)
    units = list(
        Unit.objects.filter(path__startswith=province.path)
        .order_by("path")
        .values_list("path", "depth", "numchild", "code", "name", "kind", "cell_type")
    )
    members = list(
        Member.objects.filter(province=province)
        .order_by("cell__code", "sort_key", "birth_date", "card_number")
        .values_list(
            "cell__code", "full_name", "gender", "birth_date", "admission_date", "official_date",
            "status", "position", "community_roles", "card_number", "fee_category", "phone",
        )
    )  # fmt: skip
    exemptions = sorted(
        Exemption.objects.filter(member__province=province).values_list(
            "member__card_number", "start", "end", "reason", "decision_ref"
        )
    )
    attachments = sorted(
        TemporaryAttachment.objects.filter(member__province=province).values_list(
            "member__card_number", "host_cell__code", "start", "end", "reason"
        )
    )
    return units, members, exemptions, attachments


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Unit, Member, Exemption, TemporaryAttachment, MemberEvent, User, Grant,
                      AuditEntry)
    }  # fmt: skip


def check_members(province: Unit) -> Counter:
    """Every member passes the registry's validation and the cell rules; returns statistics."""
    stats: Counter = Counter()
    members = Member.objects.filter(province=province).select_related("cell")
    assert members.exists()
    by_cell: dict[int, list[Member]] = {}
    for m in members:
        data = {f: getattr(m, f) for f in MEMBER_FIELDS}
        assert member_data_errors(data, instance=m) == {}, (m.full_name, m.cell.code)
        assert m.cell.path.startswith(province.path)
        assert m.name_folded == fold(m.full_name)
        assert m.sort_key == person_sort_key(m.family_name, m.middle_name, m.given_name)
        if m.status == MemberStatus.PROBATIONARY:
            assert m.card_number is None  # the card comes with official membership
        else:
            assert m.card_number
            # Official about twelve months after admission.
            assert 365 <= (m.official_date - m.admission_date).days <= 365 + 60
        by_cell.setdefault(m.cell_id, []).append(m)
        stats[m.status] += 1
    for cell_members in by_cell.values():
        official = [m for m in cell_members if m.status == MemberStatus.OFFICIAL]
        positions = Counter(m.position for m in cell_members)
        assert len(official) >= 3
        assert positions[Position.SECRETARY] == 1
        assert positions[Position.DEPUTY] <= 1
        if len(official) >= 9:
            assert positions[Position.COMMITTEE] >= 1, "9+ official members elect a cell committee"
        else:
            assert positions[Position.COMMITTEE] == 0, "< 9 official members: no cell committee"
        leaders = [m for m in cell_members if m.position != Position.MEMBER]
        assert all(m.status == MemberStatus.OFFICIAL for m in leaders)
    cards = [m.card_number for m in members if m.card_number]
    assert len(cards) == len(set(cards))
    for exemption in Exemption.objects.filter(member__province=province).select_related("member"):
        assert exemption.member.status == MemberStatus.OFFICIAL
        assert exemption.reason and exemption.decision_ref
        assert exemption.start > exemption.member.official_date
        assert exemption.member.position == Position.MEMBER
    for attachment in TemporaryAttachment.objects.filter(member__province=province).select_related(
        "member", "host_cell"
    ):
        assert attachment.host_cell_id != attachment.member.cell_id
        assert attachment.host_cell.holds_members
        assert attachment.host_cell.path.startswith(province.path)
        assert attachment.reason and attachment.decision_ref
    stats["cells"] = len(by_cell)
    stats["min_cell"] = min(len(v) for v in by_cell.values())
    stats["max_cell"] = max(len(v) for v in by_cell.values())
    return stats


# --- the small demo ----------------------------------------------------------------------------
def test_small_demo_shape(today):
    result = demo.load_small_demo(today=today)
    assert result.created
    province = Unit.objects.get(code=demo.SMALL_CODE)
    assert province.depth == 1 and province.kind == UnitKind.PROVINCE_COMMITTEE
    kinds = Counter(
        Unit.objects.filter(path__startswith=province.path).values_list("kind", flat=True)
    )
    assert kinds == {
        UnitKind.PROVINCE_COMMITTEE: 1,
        UnitKind.GRASSROOTS_COMMITTEE: 3,
        UnitKind.GRASSROOTS_CELL: 2,
        UnitKind.CELL: 13,
    }
    assert UnitKind.MID_COMMITTEE not in kinds  # post-2025: no district tier
    cell_types = set(
        Unit.objects.filter(path__startswith=province.path).exclude(cell_type="")
        .values_list("cell_type", flat=True)
    )  # fmt: skip
    assert cell_types == {
        CellType.RESIDENTIAL, CellType.AGENCY, CellType.STATE_ENTERPRISE,
        CellType.PRIVATE_ENTERPRISE, CellType.STUDENTS, CellType.ARMED_FORCES,
    }  # fmt: skip
    # The counts are fixed by the seed.
    assert result.counts == {
        "units": 19, "mid_committees": 0, "grassroots_committees": 3, "grassroots_cells": 2,
        "cells": 13, "members": 200, "probationary": 24, "exempted": 8, "attached": 4,
    }  # fmt: skip
    # The named people the README and the accounts refer to.
    roster = dict(
        Member.objects.filter(cell__code="DEMO-HB-02").values_list("full_name", "position")
    )
    assert roster["Nguyễn Văn Đạt"] == Position.SECRETARY
    for name in ("Đặng Thị Hoa", "Lê Thị Thu Hằng", "Trần Văn Ưng", "Hồ Văn Ơn"):
        assert roster[name] == Position.MEMBER
    assert Member.objects.get(full_name="Nguyễn Văn Đạt", cell__code="DEMO-HB-02").community_roles
    # Some leaders of residential cells also hold a community role (village head…).
    roles = Member.objects.filter(province=province).exclude(community_roles="")
    assert roles.filter(Q(community_roles__contains="Trưởng thôn")).exists()
    assert roles.filter(community_roles__contains="Tổ trưởng tổ dân phố").exists()


def test_small_demo_members_are_valid(today):
    demo.load_small_demo(today=today)
    province = Unit.objects.get(code=demo.SMALL_CODE)
    stats = check_members(province)
    assert stats["cells"] == 15
    assert stats[MemberStatus.PROBATIONARY] == 24
    # Realistic ages: every member is an adult, some are old.
    births = Member.objects.filter(province=province).values_list("birth_date", flat=True)
    ages = [(today - b).days / 365.25 for b in births]
    assert min(ages) >= 19 and max(ages) <= 93
    assert sum(a >= 70 for a in ages) >= 10
    # Family names are weighted like the population: Nguyễn comes first.
    families = Counter(Member.objects.filter(province=province).values_list("family_name", flat=True))  # fmt: skip
    assert families.most_common(1)[0][0] == "Nguyễn"
    assert len(families) >= 10
    # Written through the services: history and audit entries exist.
    assert MemberEvent.objects.filter(member__province=province, kind="registered").count() == 200
    assert MemberEvent.objects.filter(member__province=province, kind="exempted").count() == 8
    assert MemberEvent.objects.filter(member__province=province, kind="attached").count() == 4
    assert AuditEntry.objects.filter(action="member.create").count() == 200


def test_small_demo_is_deterministic(today):
    with transaction.atomic():
        demo.load_small_demo(today=today)
        first = snapshot(demo.SMALL_CODE)
        transaction.set_rollback(True)  # a fresh database for the second run
    assert not Unit.objects.exists() and not Member.objects.exists()
    demo.load_small_demo(today=today)
    second = snapshot(demo.SMALL_CODE)
    assert second == first
    assert len(first[1]) == 200


def test_small_demo_plan_is_pure(today):
    def people(tree):
        return [
            (s.code, p.family, p.middle, p.given, p.birth, p.admitted, p.official, p.position,
             p.card, p.exemption, p.attachment)
            for s in tree.walk() for p in s.people
        ]  # fmt: skip

    assert people(demo.plan_small(today)) == people(demo.plan_small(today))
    # The dates move with `today`, the people stay the same.
    later = demo.plan_small(today + datetime.timedelta(days=400))
    assert [p[:4] for p in people(later)] == [p[:4] for p in people(demo.plan_small(today))]


def test_small_demo_is_idempotent(today):
    first = demo.load_small_demo(today=today)
    counts = table_counts()
    again = demo.load_small_demo(today=today)
    assert not again.created
    assert table_counts() == counts
    assert again.counts == first.counts
    assert again.accounts == first.accounts


def test_demo_command_twice_prints_accounts():
    out = io.StringIO()
    call_command("demo", stdout=out)
    counts = table_counts()
    out2 = io.StringIO()
    call_command("demo", stdout=out2)
    assert table_counts() == counts
    for text in (out.getvalue(), out2.getvalue()):
        assert demo.DEMO_PASSWORD in text
        for spec in demo.SMALL_ACCOUNTS:
            assert spec.username in text
    assert "Đã tạo dữ liệu mẫu" in out.getvalue()
    assert "đã có sẵn" in out2.getvalue()


EXPECTED_GRANTS = {
    "admin": ("admin", "DEMO", None),
    "bantochuc": ("officer", "DEMO", None),
    "xa.hoabinh": ("officer", "DEMO-HB", "Ngô Thị Lan"),
    "bithu": ("secretary", "DEMO-HB-02", "Nguyễn Văn Đạt"),
    "thuky": ("clerk", "DEMO-HB-02", "Lê Thị Thu Hằng"),
    "dangvien": ("member", "DEMO-HB-02", "Đặng Thị Hoa"),
    "duthinh": ("attendee", "DEMO-HB-02", "Bùi Quang Vinh"),
}


def test_small_demo_accounts_have_their_grant(today):
    result = demo.load_small_demo(today=today)
    assert [a.username for a in result.accounts] == list(EXPECTED_GRANTS)
    for username, (role, unit_code, member_name) in EXPECTED_GRANTS.items():
        user = User.objects.get(username=username)
        grants = [(g.role, g.unit.code) for g in Grant.objects.current().filter(user=user)]
        assert grants == [(role, unit_code)], username
        assert not user.is_superuser and user.is_active
        if member_name is None:
            assert user.member is None
        else:
            assert user.member.full_name == member_name, username
    # The member account belongs to the cell its grant is on; the secretary leads it.
    assert User.objects.get(username="dangvien").member.cell.code == "DEMO-HB-02"
    assert User.objects.get(username="bithu").member.position == Position.SECRETARY


def test_small_demo_accounts_log_in_and_open_home(today):
    demo.load_small_demo(today=today)
    for username in EXPECTED_GRANTS:
        client = Client()
        response = client.post(
            reverse("login"),
            {"username": username, "password": demo.DEMO_PASSWORD},
            secure=True,
        )
        assert response.status_code == 302, (username, response.status_code)
        assert client.session.get("_auth_user_id") == str(User.objects.get(username=username).pk)
        home = client.get("/", secure=True, follow=True)
        assert home.status_code == 200, (username, home.redirect_chain)
    bad = Client().post(
        reverse("login"), {"username": "bithu", "password": "sai-mat-khau"}, secure=True
    )
    assert bad.status_code == 200 and "_auth_user_id" not in bad.client.session


# --- the province of seed 004 ------------------------------------------------------------------
def test_seed004_counts():
    assert demo.seed004_counts(1.0) == {
        "mid_committees": 21, "grassroots_committees": 353, "grassroots_cells": 602,
        "cells": 3475, "members": 62053,
    }  # fmt: skip
    assert demo.seed004_counts(0.01) == {
        "mid_committees": 1, "grassroots_committees": 4, "grassroots_cells": 6,
        "cells": 35, "members": 621,
    }  # fmt: skip


def test_full_scale_plan_matches_seed_004():
    """The full-size tree and cell sizes, without the database (fast)."""
    tree = demo.plan_province(1.0)
    units = list(tree.walk())
    kinds = Counter(u.kind for u in units)
    assert kinds == {
        UnitKind.PROVINCE_COMMITTEE: 1, UnitKind.MID_COMMITTEE: 21,
        UnitKind.GRASSROOTS_COMMITTEE: 353, UnitKind.GRASSROOTS_CELL: 602, UnitKind.CELL: 3475,
    }  # fmt: skip
    cells = [u for u in units if u.holds_members]
    sizes = [c.size for c in cells]
    assert sum(sizes) == 62053
    assert min(sizes) >= 5 and max(sizes) <= 80
    assert max(sizes) >= 60  # a realistic spread, not a flat average
    codes = [u.code for u in units]
    assert len(set(codes)) == len(codes) and all(len(c) <= 32 for c in codes)
    for committee in (u for u in units if u.kind == UnitKind.GRASSROOTS_COMMITTEE):
        assert len(committee.children) >= 2
        assert all(c.kind == UnitKind.CELL for c in committee.children)
    for mid in tree.children:
        assert mid.kind == UnitKind.MID_COMMITTEE
        assert mid.children
    residential = sum(c.size for c in cells if c.cell_type == CellType.RESIDENTIAL)
    assert 0.5 < residential / 62053 < 0.85


def test_generate_province_scaled_down(today):
    result = demo.generate_province(scale=0.01, today=today)
    assert result.created
    province = result.province
    expected = demo.seed004_counts(0.01)
    for key, value in expected.items():
        assert result.counts[key] == value, key
    # Materialised paths built by hand must satisfy treebeard.
    assert Unit.objects.find_problems() == ([], [], [], [], [])
    units = list(Unit.objects.filter(path__startswith=province.path))
    assert len(units) == 1 + sum(v for k, v in expected.items() if k != "members")
    depth_of = {
        UnitKind.PROVINCE_COMMITTEE: 1, UnitKind.MID_COMMITTEE: 2,
        UnitKind.GRASSROOTS_COMMITTEE: 3, UnitKind.GRASSROOTS_CELL: 3, UnitKind.CELL: 4,
    }  # fmt: skip
    by_path = {u.path: u for u in units}
    for unit in units:
        assert unit.depth == depth_of[unit.kind], unit.code
        assert len(unit.path) == unit.depth * Unit.steplen
        if unit.depth > 1:
            parent = by_path[unit.path[: -Unit.steplen]]
            assert unit.code.startswith(parent.code + "-")
            assert not parent.holds_members
        assert unit.numchild == sum(
            1 for u in units if u.depth == unit.depth + 1 and u.path.startswith(unit.path)
        )
        assert unit.name_folded == fold(unit.name)
        assert bool(unit.cell_type) == unit.holds_members
    # Member counts per cell within bounds; proportions realistic.
    stats = check_members(province)
    assert stats["cells"] == expected["grassroots_cells"] + expected["cells"]
    assert 5 <= stats["min_cell"] and stats["max_cell"] <= 80
    share = stats[MemberStatus.PROBATIONARY] / expected["members"]
    assert 0.03 <= share <= 0.15, share
    assert result.counts["exempted"] > 0
    assert Member.objects.filter(province=province).count() == expected["members"]
    assert (
        not Member.objects.filter(province=province)
        .exclude(cell__path__startswith=province.path)
        .exists()
    )
    # Accounts for the province, each with its grant inside it.
    assert [a.username for a in result.accounts] == [n for n, _ in demo.PROVINCE_ACCOUNTS]
    for username, role in demo.PROVINCE_ACCOUNTS:
        grant = Grant.objects.get(user__username=username)
        assert grant.role == role and grant.unit.path.startswith(province.path)
    dangvien = User.objects.get(username="dangvien.tinh")
    assert dangvien.member.cell == Grant.objects.get(user=dangvien).unit
    # Idempotent: a second run writes nothing.
    counts = table_counts()
    again = demo.generate_province(scale=0.01, today=today)
    assert not again.created and table_counts() == counts
    assert again.accounts == result.accounts


def test_province_and_small_demo_coexist(today):
    demo.load_small_demo(today=today)
    result = demo.generate_province(scale=0.005, today=today)
    assert result.created
    roots = list(Unit.objects.filter(depth=1).order_by("path").values_list("code", flat=True))
    assert roots == [demo.SMALL_CODE, demo.PROVINCE_CODE]
    assert Unit.objects.find_problems() == ([], [], [], [], [])
    per_province = dict(
        Member.objects.values_list("province__code").annotate(n=Count("id")).order_by()
    )
    assert per_province == {demo.SMALL_CODE: 200, demo.PROVINCE_CODE: round(62053 * 0.005)}


def test_province_command_scaled(today):
    out = io.StringIO()
    call_command("demo", "--scale", "province", "--fraction", "0.005", stdout=out)
    text = out.getvalue()
    assert "Đã tạo dữ liệu mẫu" in text and "giây" in text
    assert "bantochuc.tinh" in text and demo.DEMO_PASSWORD in text
    out2 = io.StringIO()
    call_command("demo", "--scale", "province", "--fraction", "0.005", stdout=out2)
    assert "đã có sẵn" in out2.getvalue() and "bantochuc.tinh" in out2.getvalue()
