"""Demo data: a small province to try chibo, and the province of seed 004 at full scale.

Both are deterministic (fixed random seeds; dates are drawn as offsets from `today`, so the
same people are generated every day and their dates stay plausible) and idempotent: when a
province with the demo code exists nothing is written and the accounts are only read back.

- `load_small_demo()`: "Tỉnh ủy Minh Sơn" — three commune/ward committees, 15 cells of
  every cell type, 200 members, written through the service functions (validated, audited).
- `generate_province(scale=1.0)`: the province of seed 004 — 21 mid-level committees,
  955 grassroots organisations (353 committees, 602 grassroots cells), 3,475 cells under
  the committees and 62,053 members; materialised paths are computed here and every table
  is filled with `bulk_create`, so it takes seconds, not hours. `scale` shrinks every
  count proportionally (tests use 0.01).
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from chibo.accounts.models import Grant, Role, User
from chibo.core import audit
from chibo.core.text import fold, normalize

from . import services
from .models import (
    CellType,
    Exemption,
    FeeCategory,
    Gender,
    Member,
    MemberEvent,
    MemberEventKind,
    MemberStatus,
    Position,
    TemporaryAttachment,
    Unit,
    UnitKind,
)

DEMO_PASSWORD = "chibo-demo-2026"
SMALL_CODE = "DEMO"
PROVINCE_CODE = "T004"
SMALL_SEED = 2026
PROVINCE_SEED = 4
# Card number prefixes (the two-digit province part): distinct, so both demos can coexist.
SMALL_CARD_PREFIX = "90"
PROVINCE_CARD_PREFIX = "91"

# Seed 004: a province's figures (2021).
SEED_004 = {
    "mid_committees": 21,
    "grassroots_committees": 353,
    "grassroots_cells": 602,
    "cells": 3475,
    "members": 62053,
}
MIN_CELL_SIZE, MAX_CELL_SIZE = 5, 80
MIN_OFFICIAL_PER_CELL = 3

DAYS_PER_YEAR = 365.25
# services.member_data_errors wants (admitted - born).days >= 18 * 365; keep a month spare.
ADULT_DAYS = 18 * 365 + 31
# Probation lasts 12 months; recognition follows within about 30 working days.
PROBATION_DAYS = 365
RECOGNITION_DELAY = 45


# --- names -----------------------------------------------------------------------------------
_FAMILY = [
    ("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 31), ("Huỳnh", 20),
    ("Phan", 45), ("Vũ", 24), ("Võ", 15), ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13),
    ("Ngô", 13), ("Dương", 10), ("Lý", 5), ("Đinh", 8), ("Trịnh", 6), ("Đào", 5), ("Mai", 5),
    ("Lương", 5), ("Cao", 4), ("Hà", 4), ("Chu", 3), ("Tạ", 3), ("Lại", 2), ("Kiều", 2),
    ("Quách", 2), ("Lò", 2),
]  # fmt: skip
_MIDDLE_MALE = [
    ("Văn", 45), ("Đức", 9), ("Hữu", 7), ("Quang", 6), ("Minh", 7), ("Công", 5), ("Xuân", 4),
    ("Đình", 6), ("Ngọc", 4), ("Thanh", 5), ("Mạnh", 3), ("Trọng", 3), ("Quốc", 4), ("Anh", 3),
    ("Bá", 3), ("Duy", 3), ("Tiến", 3), ("Thế", 3), ("Viết", 2), ("Khắc", 2), ("Văn Minh", 1),
]  # fmt: skip
# Women over about 38 mostly carry "Thị" as middle name; younger ones much less often.
_MIDDLE_FEMALE_OLDER = [
    ("Thị", 70), ("Thu", 4), ("Ngọc", 4), ("Thanh", 4), ("Minh", 2), ("Thúy", 2), ("Hồng", 3),
    ("Kim", 3), ("Thị Thu", 4), ("Thị Thanh", 3), ("Thị Kim", 2), ("Bích", 1),
]  # fmt: skip
_MIDDLE_FEMALE_YOUNGER = [
    ("Thị", 30), ("Thu", 7), ("Ngọc", 8), ("Thanh", 6), ("Minh", 6), ("Thúy", 3), ("Hồng", 4),
    ("Kim", 4), ("Phương", 5), ("Bích", 2), ("Thị Thu", 3), ("Hải", 3), ("Diệu", 2),
    ("Khánh", 4), ("Mai", 3), ("Bảo", 3),
]  # fmt: skip
_GIVEN_MALE = (
    "An Anh Bảo Bình Cường Chiến Công Chung Dũng Duy Dương Đạt Đức Định Đông Giang Hải Hào "
    "Hiếu Hiệp Hòa Hoàng Hùng Huy Hưng Khánh Khoa Khải Kiên Lâm Long Lộc Lợi Lực Mạnh Minh "
    "Nam Nghĩa Nguyên Nhân Ơn Phong Phú Phúc Quang Quân Quyết Sáng Sơn Tài Tâm Thắng Thành "
    "Thịnh Thuận Tiến Toàn Trung Trường Tú Tuấn Tùng Ưng Việt Vinh Vượng Xuân Hậu"
).split()
_GIVEN_FEMALE = (
    "An Anh Ánh Bích Chi Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hoài Hồng Huệ Hương Hường "
    "Lan Liên Linh Loan Lụa Mai Mến Mơ My Nga Ngân Ngọc Nhàn Nhung Oanh Phượng Quyên Quỳnh "
    "Sen Tâm Thảo Thắm Thơm Thu Thủy Trang Tuyết Uyên Vân Xuân Yến"
).split()


def _cum(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))


_FAMILY_C = _cum(_FAMILY)
_MIDDLE_MALE_C = _cum(_MIDDLE_MALE)
_MIDDLE_FEMALE_OLDER_C = _cum(_MIDDLE_FEMALE_OLDER)
_MIDDLE_FEMALE_YOUNGER_C = _cum(_MIDDLE_FEMALE_YOUNGER)


def _weighted(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    return rng.choices(table[0], cum_weights=table[1])[0]


# --- member profiles by cell type ---------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    male: float  # share of men
    ages: tuple[tuple[float, float, float], ...]  # (weight, youngest, oldest) in years
    probationary: float  # chance that a member under 35 is still on probation
    exempt_old: float  # chance that an official member aged 75+ is exempted
    exempt_sick: float  # chance that another official member is exempted for illness
    attach: float  # chance that an ordinary member is attached to another cell for now


PROFILES = {
    CellType.RESIDENTIAL: Profile(0.58, ((30, 24, 45), (36, 45, 62), (34, 62, 92)), 0.34, 0.35, 0.012, 0.03),
    CellType.AGENCY: Profile(0.42, ((1, 24, 60),), 0.2, 0.0, 0.006, 0.015),
    CellType.STATE_ENTERPRISE: Profile(0.62, ((1, 23, 58),), 0.22, 0.0, 0.004, 0.012),
    CellType.PRIVATE_ENTERPRISE: Profile(0.5, ((1, 22, 55),), 0.28, 0.0, 0.004, 0.02),
    CellType.STUDENTS: Profile(0.4, ((72, 19.3, 23), (28, 28, 58)), 0.6, 0.0, 0.0, 0.0),
    CellType.ARMED_FORCES: Profile(0.9, ((1, 21, 52),), 0.2, 0.0, 0.003, 0.008),
    CellType.OTHER: Profile(0.5, ((1, 25, 65),), 0.15, 0.0, 0.01, 0.01),
}  # fmt: skip

_EXEMPT_OLD_REASONS = [
    "Tuổi cao, sức khỏe yếu",
    "Tuổi cao, đi lại khó khăn",
    "Tuổi cao, thường xuyên đau ốm",
]
_EXEMPT_SICK_REASONS = [
    "Ốm đau dài ngày, đang điều trị bệnh",
    "Điều trị bệnh hiểm nghèo",
    "Sức khỏe yếu sau phẫu thuật",
]
_ATTACH_REASONS = [
    "Đi làm việc xa, sinh hoạt tạm thời tại nơi làm việc",
    "Biệt phái công tác có thời hạn",
    "Đi học tập trung dài hạn",
    "Tạm trú theo gia đình",
]


# --- plan: units and people, before anything touches the database -----------------------------
@dataclass(slots=True)
class Person:
    family: str
    middle: str
    given: str
    gender: str
    birth: int  # ordinal day numbers
    admitted: int
    official: int | None
    fee: str = FeeCategory.SALARIED
    position: str = Position.MEMBER
    roles: list[str] = field(default_factory=list)
    phone: str = ""
    address: str = ""
    card: str | None = None
    exemption: tuple[int, int | None, str, str] | None = None  # start, end, reason, ref
    attachment: tuple[int, int, int, str, str] | None = None  # host, start, end, reason, ref
    feature: str = ""  # marks the people demo accounts are linked to
    cell_index: int = -1
    member: Member | None = None

    def age_on(self, day: int) -> float:
        return (day - self.birth) / DAYS_PER_YEAR


@dataclass(slots=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    cell_type: str = ""
    size: int = 0  # members, for cells
    place: str = ""  # address of residents, for residential cells
    head_title: str = ""  # "Trưởng thôn" / "Tổ trưởng tổ dân phố", for residential cells
    flavor: str = ""  # what the unit is (commune, ward, hospital …); shapes its children
    children: list[UnitSpec] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    unit: Unit | None = None

    @property
    def holds_members(self) -> bool:
        return self.kind in (UnitKind.GRASSROOTS_CELL, UnitKind.CELL)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class AccountSpec:
    username: str
    role: str
    unit_code: str
    label: str = ""  # display name when the user is not linked to a member
    feature: str = ""  # the Person (by feature) the user is linked to


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit_code: str
    unit_name: str
    member_name: str


@dataclass
class DemoResult:
    created: bool
    province: Unit
    accounts: list[DemoAccount]
    counts: dict[str, int]
    timings: list[tuple[str, float]] = field(default_factory=list)


class PeopleMaker:
    """Draws members for a cell from its profile. All randomness comes from one Random."""

    def __init__(self, rng: random.Random, today: datetime.date):
        self.rng = rng
        self.today = today.toordinal()

    def person(self, profile: Profile, place: str = "") -> Person:
        rng, today = self.rng, self.today
        male = rng.random() < profile.male
        weights = [a[0] for a in profile.ages]
        _, youngest, oldest = rng.choices(profile.ages, weights=weights)[0]
        birth = today - rng.randint(int(youngest * DAYS_PER_YEAR), int(oldest * DAYS_PER_YEAR))
        age = (today - birth) / DAYS_PER_YEAR
        p_prob = profile.probationary if age < 35 else profile.probationary / 4 if age < 50 else 0
        earliest = birth + ADULT_DAYS
        latest_official = today - PROBATION_DAYS - RECOGNITION_DELAY
        probationary = rng.random() < p_prob or earliest > latest_official
        if probationary:
            admitted = max(today - rng.randint(20, 350), earliest)
            official = None
        else:
            years = rng.triangular(18.1, max(18.2, min(age - 1.2, 45)), 24)
            admitted = min(max(birth + int(years * DAYS_PER_YEAR), earliest), latest_official)
            official = admitted + PROBATION_DAYS + rng.randint(0, RECOGNITION_DELAY)
        if male:
            middle = _weighted(rng, _MIDDLE_MALE_C)
            given = rng.choice(_GIVEN_MALE)
        else:
            table = _MIDDLE_FEMALE_OLDER_C if age >= 38 else _MIDDLE_FEMALE_YOUNGER_C
            middle = _weighted(rng, table)
            given = rng.choice(_GIVEN_FEMALE)
        person = Person(
            family=_weighted(rng, _FAMILY_C),
            middle=middle,
            given=given,
            gender=Gender.MALE if male else Gender.FEMALE,
            birth=birth,
            admitted=admitted,
            official=official,
            address=place,
        )
        if rng.random() < 0.78:
            prefix = rng.choice(("09", "09", "03", "08", "07", "05"))
            person.phone = prefix + f"{rng.randrange(10**8):08d}"
        return person

    def cell(self, spec: UnitSpec) -> list[Person]:
        """Draw spec.size people, then decide fees, exemptions, positions, community roles."""
        rng, today = self.rng, self.today
        profile = PROFILES.get(spec.cell_type, PROFILES[CellType.OTHER])
        people = [self.person(profile, spec.place) for _ in range(spec.size)]
        # A cell needs at least three official members.
        official = [p for p in people if p.official is not None]
        for p in people:
            if len(official) >= min(MIN_OFFICIAL_PER_CELL, len(people)):
                break
            if p.official is None:
                self._make_official(p)
                official.append(p)
        for p in people:
            p.fee = self._fee(p, spec.cell_type)
            if p.official is None:
                continue
            age = p.age_on(today)
            if age >= 75 and rng.random() < profile.exempt_old:
                start = max(today - rng.randint(30, 6 * 365), p.official + 30)
                p.exemption = (
                    start,
                    None,
                    rng.choice(_EXEMPT_OLD_REASONS),
                    self._resolution_ref(start),
                )
            elif age >= 30 and rng.random() < profile.exempt_sick * (3 if age >= 60 else 1):
                start = max(today - rng.randint(10, 300), p.official + 30)
                p.exemption = (
                    start,
                    start + 365,
                    rng.choice(_EXEMPT_SICK_REASONS),
                    self._resolution_ref(start),
                )
        self._positions(people)
        self._community_roles(people, spec)
        return people

    def _make_official(self, p: Person) -> None:
        today = self.today
        latest = today - PROBATION_DAYS - RECOGNITION_DELAY
        if p.birth + ADULT_DAYS > latest:  # too young: make them older
            p.birth = latest - ADULT_DAYS - self.rng.randint(30, 5 * 365)
        p.admitted = min(
            max(p.birth + ADULT_DAYS + self.rng.randint(0, 8 * 365), p.admitted), latest
        )
        p.official = p.admitted + PROBATION_DAYS + self.rng.randint(0, RECOGNITION_DELAY)

    def _fee(self, p: Person, cell_type: str) -> str:
        today, rng = self.today, self.rng
        age = p.age_on(today)
        if (today - p.admitted) / DAYS_PER_YEAR >= 50:
            return FeeCategory.EXEMPT  # 50 years of membership
        if cell_type == CellType.STUDENTS and age < 25:
            return FeeCategory.STUDENT
        if cell_type == CellType.RESIDENTIAL:
            if age >= 60:
                return FeeCategory.PENSIONER if rng.random() < 0.6 else FeeCategory.OTHER_INCOME
            return FeeCategory.OTHER_INCOME if rng.random() < 0.7 else FeeCategory.SALARIED
        return FeeCategory.SALARIED

    def _resolution_ref(self, day: int) -> str:
        year = datetime.date.fromordinal(day).year
        return f"Nghị quyết số {self.rng.randint(1, 24):02d}-NQ/CB năm {year}"

    def _positions(self, people: list[Person]) -> None:
        """< 9 official members: a secretary (and often a deputy); >= 9: a cell committee."""
        rng, today = self.rng, self.today
        official = [p for p in people if p.official is not None]
        n = len(official)
        if n >= 30:
            posts = [Position.SECRETARY, Position.DEPUTY] + [Position.COMMITTEE] * 3
        elif n >= 9:
            posts = [Position.SECRETARY, Position.DEPUTY, Position.COMMITTEE]
        elif n >= 5 or rng.random() < 0.5:
            posts = [Position.SECRETARY, Position.DEPUTY]
        else:
            posts = [Position.SECRETARY]
        active = [p for p in official if p.exemption is None]
        eligible = [p for p in active if 26 <= p.age_on(today) <= 68] or active or official
        ranked = sorted(
            eligible,
            key=lambda p: -(min((today - p.admitted) / DAYS_PER_YEAR, 20) + rng.random() * 12),
        )
        for person, post in zip(ranked, posts, strict=False):
            person.position = post

    def _community_roles(self, people: list[Person], spec: UnitSpec) -> None:
        rng, today = self.rng, self.today
        if spec.cell_type == CellType.RESIDENTIAL:
            wanted = [
                (spec.head_title or "Trưởng thôn", lambda p, a: 30 <= a <= 65),
                ("Trưởng ban Công tác Mặt trận", lambda p, a: 40 <= a <= 72),
                (
                    "Chi hội trưởng Hội Cựu chiến binh",
                    lambda p, a: p.gender == Gender.MALE and a >= 50,
                ),
                (
                    "Chi hội trưởng Hội Phụ nữ",
                    lambda p, a: p.gender == Gender.FEMALE and 28 <= a <= 60,
                ),
                ("Bí thư Chi đoàn", lambda p, a: a <= 32),
            ]
            if spec.head_title == "Trưởng thôn":
                wanted.append(("Chi hội trưởng Hội Nông dân", lambda p, a: 35 <= a <= 65))
            secretary = next((p for p in people if p.position == Position.SECRETARY), None)
            if secretary is not None and rng.random() < 0.5:
                # Party secretary also village head ("nhất thể hóa"), as many provinces ask.
                secretary.roles.append(wanted.pop(0)[0])
        elif spec.cell_type in (
            CellType.AGENCY,
            CellType.STATE_ENTERPRISE,
            CellType.PRIVATE_ENTERPRISE,
        ):
            wanted = [
                ("Chủ tịch Công đoàn cơ sở", lambda p, a: 30 <= a <= 58),
                ("Bí thư Chi đoàn", lambda p, a: a <= 32),
            ]
        elif spec.cell_type == CellType.STUDENTS:
            wanted = [("Bí thư Liên chi đoàn", lambda p, a: a <= 25)]
        else:
            return
        for title, fits in wanted:
            if rng.random() > 0.85:
                continue
            candidates = [
                p
                for p in people
                if p.exemption is None and len(p.roles) < 2 and fits(p, p.age_on(today))
            ]
            if candidates:
                rng.choice(candidates).roles.append(title)

    def attachments(self, cells: list[UnitSpec], *, minimum: int = 0) -> None:
        """Attach some ordinary members temporarily to another cell (working or studying away)."""
        rng, today = self.rng, self.today
        hosts_enterprise = [
            i
            for i, c in enumerate(cells)
            if c.cell_type in (CellType.PRIVATE_ENTERPRISE, CellType.STATE_ENTERPRISE)
        ]
        candidates: list[Person] = []
        chosen: list[Person] = []
        for index, cell in enumerate(cells):
            profile = PROFILES.get(cell.cell_type, PROFILES[CellType.OTHER])
            for p in cell.people:
                p.cell_index = index
                if (
                    p.official is not None
                    and p.exemption is None
                    and not p.roles
                    and p.position == Position.MEMBER
                    and not p.feature
                    and 22 <= p.age_on(today) <= 55
                ):
                    candidates.append(p)
                    if rng.random() < profile.attach:
                        chosen.append(p)
        while len(chosen) < minimum and len(chosen) < len(candidates):
            p = rng.choice(candidates)
            if p not in chosen:
                chosen.append(p)
        for p in chosen:
            if hosts_enterprise and rng.random() < 0.5:
                host = rng.choice(hosts_enterprise)
            else:
                host = rng.randrange(len(cells))
            if host == p.cell_index:
                host = (host + 1) % len(cells)
            if host == p.cell_index:
                continue  # a one-cell tree
            start = today - rng.randint(20, 250)
            end = today + rng.randint(30, 300)
            ref = f"Giấy giới thiệu số {rng.randint(1, 199):02d}-GGT/ĐU"
            p.attachment = (host, start, end, rng.choice(_ATTACH_REASONS), ref)

    def card_numbers(self, people: list[Person], prefix: str) -> None:
        """Official members have a card; numbers rise with the date of recognition."""
        official = [p for p in people if p.official is not None]
        official.sort(key=lambda p: p.official or 0)
        numbers = sorted(self.rng.sample(range(1, 1_000_000), len(official)))
        for p, n in zip(official, numbers, strict=True):
            p.card = f"{prefix}.{n:06d}"


# --- the small demo ----------------------------------------------------------------------------
def _cell(code, name, cell_type, size, *, place="", head="", kind=UnitKind.CELL) -> UnitSpec:
    return UnitSpec(code, name, kind, cell_type, size=size, place=place, head_title=head)


def small_tree() -> UnitSpec:
    """The small demo province: post-2025 shape, no district tier."""
    R, A, S = CellType.RESIDENTIAL, CellType.AGENCY, CellType.ARMED_FORCES
    hb, dt, tl = "xã Hòa Bình", "phường Đông Thành", "xã Tân Lập"
    GC = UnitKind.GRASSROOTS_COMMITTEE
    return UnitSpec(SMALL_CODE, "Tỉnh ủy Minh Sơn", UnitKind.PROVINCE_COMMITTEE, children=[
        UnitSpec("DEMO-HB", "Đảng ủy xã Hòa Bình", GC, flavor="commune", children=[
            _cell("DEMO-HB-01", "Chi bộ Cơ quan Đảng – Đoàn thể xã Hòa Bình", A, 11, place=f"UBND {hb}"),
            _cell("DEMO-HB-02", "Chi bộ thôn Đông", R, 30, place=f"Thôn Đông, {hb}", head="Trưởng thôn"),
            _cell("DEMO-HB-03", "Chi bộ thôn Tây", R, 25, place=f"Thôn Tây, {hb}", head="Trưởng thôn"),
            _cell("DEMO-HB-04", "Chi bộ Trường THCS Hòa Bình", A, 12),
            _cell("DEMO-HB-05", "Chi bộ Trạm Y tế xã Hòa Bình", A, 6),
            _cell("DEMO-HB-06", "Chi bộ Công an xã Hòa Bình", S, 8),
            _cell("DEMO-HB-07", "Chi bộ Quân sự xã Hòa Bình", S, 5),
        ]),
        UnitSpec("DEMO-DT", "Đảng ủy phường Đông Thành", GC, flavor="ward", children=[
            _cell("DEMO-DT-01", "Chi bộ tổ dân phố 1", R, 27, place=f"Tổ dân phố 1, {dt}", head="Tổ trưởng tổ dân phố"),
            _cell("DEMO-DT-02", "Chi bộ tổ dân phố 2", R, 20, place=f"Tổ dân phố 2, {dt}", head="Tổ trưởng tổ dân phố"),
            _cell("DEMO-DT-03", "Chi bộ Chi nhánh Cấp nước Đông Thành", CellType.STATE_ENTERPRISE, 9),
            _cell("DEMO-DT-04", "Chi bộ Công ty TNHH May mặc Đông Thành", CellType.PRIVATE_ENTERPRISE, 7),
        ]),
        UnitSpec("DEMO-TL", "Đảng ủy xã Tân Lập", GC, flavor="commune", children=[
            _cell("DEMO-TL-01", "Chi bộ thôn Tân Lập 1", R, 16, place=f"Thôn Tân Lập 1, {tl}", head="Trưởng thôn"),
            _cell("DEMO-TL-02", "Chi bộ Trường Tiểu học Tân Lập", A, 6),
        ]),
        _cell("DEMO-01", "Chi bộ Trường Cao đẳng Y tế Minh Sơn", CellType.STUDENTS, 10, kind=UnitKind.GRASSROOTS_CELL),
        _cell("DEMO-02", "Chi bộ Công ty Cổ phần Dược phẩm Minh Sơn", CellType.PRIVATE_ENTERPRISE, 8, kind=UnitKind.GRASSROOTS_CELL),
    ])  # fmt: skip


SMALL_ACCOUNTS = [
    AccountSpec("admin", Role.ADMIN, SMALL_CODE, label="Quản trị hệ thống tỉnh"),
    AccountSpec("bantochuc", Role.OFFICER, SMALL_CODE, label="Cán bộ Ban Tổ chức Tỉnh ủy"),
    AccountSpec("xa.hoabinh", Role.OFFICER, "DEMO-HB", feature="commune_officer"),
    AccountSpec("bithu", Role.SECRETARY, "DEMO-HB-02", feature="secretary"),
    AccountSpec("thuky", Role.CLERK, "DEMO-HB-02", feature="clerk"),
    AccountSpec("dangvien", Role.MEMBER, "DEMO-HB-02", feature="member"),
    AccountSpec("duthinh", Role.ATTENDEE, "DEMO-HB-02", feature="attendee"),
]

# Named people in the cell the demo accounts use: (feature, family, middle, given, gender).
_FEATURED_CELL = [
    ("secretary", "Nguyễn", "Văn", "Đạt", Gender.MALE),
    ("clerk", "Lê", "Thị Thu", "Hằng", Gender.FEMALE),
    ("member", "Đặng", "Thị", "Hoa", Gender.FEMALE),
    ("", "Trần", "Văn", "Ưng", Gender.MALE),
    ("", "Hồ", "Văn", "Ơn", Gender.MALE),
]
_FEATURED_COMMUNE = [
    ("commune_officer", "Ngô", "Thị", "Lan", Gender.FEMALE),
    ("attendee", "Bùi", "Quang", "Vinh", Gender.MALE),
]


def _feature(people: list[Person], wanted) -> None:
    """Give chosen people the fixed names the demo accounts and the README refer to."""
    for feature, family, middle, given, gender in wanted:
        if feature == "secretary":
            person = next(p for p in people if p.position == Position.SECRETARY)
        else:
            person = _first_plain(people)
        person.family, person.middle, person.given, person.gender = family, middle, given, gender
        person.feature = feature or "named"


def _first_plain(people: list[Person]) -> Person:
    """The first ordinary member not already picked: official and present if possible."""
    tests = [
        lambda p: p.official is not None and p.exemption is None and p.position == Position.MEMBER,
        lambda p: p.official is not None and p.exemption is None,
        lambda p: True,
    ]
    for test in tests:
        for p in people:
            if not p.feature and test(p):
                return p
    raise ValueError("every member of the cell is already picked")


def plan_small(today: datetime.date) -> UnitSpec:
    """The small demo, fully drawn (no database access): same result for the same `today`."""
    rng = random.Random(SMALL_SEED)
    maker = PeopleMaker(rng, today)
    tree = small_tree()
    cells = [s for s in tree.walk() if s.holds_members]
    for spec in cells:
        spec.people = maker.cell(spec)
    by_code = {s.code: s for s in cells}
    _feature(by_code["DEMO-HB-02"].people, _FEATURED_CELL)
    _feature(by_code["DEMO-HB-01"].people, _FEATURED_COMMUNE)
    maker.attachments(cells, minimum=4)
    maker.card_numbers([p for c in cells for p in c.people], SMALL_CARD_PREFIX)
    return tree


def _date(day: int | None) -> datetime.date | None:
    return None if day is None else datetime.date.fromordinal(day)


def load_small_demo(*, today: datetime.date | None = None) -> DemoResult:
    """Create the small demo province unless it exists. Written through the services."""
    existing = Unit.objects.filter(code=SMALL_CODE).first()
    if existing is not None:
        accounts = read_accounts(SMALL_ACCOUNTS, existing)
        return DemoResult(False, existing, accounts, province_counts(existing))
    today = today or timezone.localdate()
    tree = plan_small(today)
    with transaction.atomic():

        def create(spec: UnitSpec, parent: Unit | None) -> None:
            spec.unit = services.unit_create(
                parent=parent,
                code=spec.code,
                name=spec.name,
                kind=spec.kind,
                cell_type=spec.cell_type,
                by=None,
            )
            for child in spec.children:
                create(child, spec.unit)

        create(tree, None)
        cells = [s for s in tree.walk() if s.holds_members]
        for spec in cells:
            for p in spec.people:
                p.member = services.member_create(by=None, **_member_data(p, spec.unit))
        for spec in cells:
            for p in spec.people:
                if p.exemption:
                    start, end, reason, ref = p.exemption
                    services.member_exempt(
                        member=p.member,
                        start=_date(start),
                        end=_date(end),
                        reason=reason,
                        decision_ref=ref,
                        by=None,
                    )
                if p.attachment:
                    host, start, end, reason, ref = p.attachment
                    services.member_attach(
                        member=p.member,
                        host_cell=cells[host].unit,
                        start=_date(start),
                        end=_date(end),
                        reason=reason,
                        decision_ref=ref,
                        by=None,
                    )
        _create_accounts(tree, SMALL_ACCOUNTS)
    province = tree.unit
    accounts = read_accounts(SMALL_ACCOUNTS, province)
    return DemoResult(True, province, accounts, province_counts(province))


def _member_data(p: Person, cell: Unit) -> dict:
    return dict(
        family_name=p.family,
        middle_name=p.middle,
        given_name=p.given,
        gender=p.gender,
        birth_date=_date(p.birth),
        card_number=p.card,
        admission_date=_date(p.admitted),
        official_date=_date(p.official),
        status=MemberStatus.OFFICIAL if p.official is not None else MemberStatus.PROBATIONARY,
        cell=cell,
        position=p.position,
        community_roles="; ".join(p.roles),
        fee_category=p.fee,
        phone=p.phone,
        address=p.address,
    )


# --- accounts ----------------------------------------------------------------------------------
def _create_accounts(tree: UnitSpec, specs: list[AccountSpec]) -> None:
    units = {s.code: s.unit for s in tree.walk()}
    featured = {p.feature: p for s in tree.walk() for p in s.people if p.feature}
    password = make_password(DEMO_PASSWORD)  # hashed once: every demo account shares it
    for spec in specs:
        if User.objects.filter(username=spec.username).exists():
            continue  # never take over an account somebody created by hand
        person = featured.get(spec.feature)
        user = User.objects.create(
            username=spec.username,
            password=password,
            first_name=spec.label,
            member=person.member if person else None,
        )
        unit = units[spec.unit_code]
        # The attendee follows the village cell for the commune committee (seed 002).
        title = "Đảng ủy viên, Phó Chủ tịch UBND xã" if spec.role == Role.ATTENDEE else ""
        grant = Grant.objects.create(user=user, role=spec.role, unit=unit, title=title)
        audit.record(
            actor=None,
            action="grant.create",
            obj=grant,
            unit_path=unit.path,
            changes={"user": user.username, "role": spec.role, "unit": unit.code},
            note="Dữ liệu mẫu",
        )


def read_accounts(specs: list[AccountSpec], province: Unit) -> list[DemoAccount]:
    """The demo accounts as they are in the database (for the printed table): each user's
    grant of the expected role inside the province."""
    users = User.objects.filter(username__in=[s.username for s in specs]).select_related("member")
    by_name = {u.username: u for u in users}
    grants = {
        (g.user_id, g.role): g
        for g in Grant.objects.current().filter(
            user__in=list(by_name.values()), unit__path__startswith=province.path
        )
    }
    rows = []
    for spec in specs:
        user = by_name.get(spec.username)
        grant = grants.get((user.pk, spec.role)) if user else None
        if user is None or grant is None:
            continue
        rows.append(
            DemoAccount(
                username=spec.username,
                role=spec.role,
                unit_code=grant.unit.code,
                unit_name=grant.unit.name,
                member_name=user.member.full_name if user.member_id else "",
            )
        )
    return rows


def province_counts(province: Unit) -> dict[str, int]:
    units = Counter(
        Unit.objects.filter(path__startswith=province.path).values_list("kind", flat=True)
    )
    members = Member.active.filter(province=province)
    today = timezone.localdate()
    return {
        "units": sum(units.values()),
        "mid_committees": units[UnitKind.MID_COMMITTEE],
        "grassroots_committees": units[UnitKind.GRASSROOTS_COMMITTEE],
        "grassroots_cells": units[UnitKind.GRASSROOTS_CELL],
        "cells": units[UnitKind.CELL],
        "members": members.count(),
        "probationary": members.filter(status=MemberStatus.PROBATIONARY).count(),
        "exempted": Exemption.objects.covering(today).filter(member__province=province).count(),
        "attached": TemporaryAttachment.objects.covering(today)
        .filter(member__province=province)
        .count(),
    }


# --- the province of seed 004 ------------------------------------------------------------------
def seed004_counts(scale: float = 1.0) -> dict[str, int]:
    """The seed-004 figures scaled down proportionally (at least one of each)."""
    return {key: max(1, round(value * scale)) for key, value in SEED_004.items()}


def _apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), `minimum` each if possible."""
    n = len(weights)
    if n == 0:
        return []
    base = minimum if total >= minimum * n else 0
    rest = total - base * n
    s = sum(weights) or 1.0
    quotas = [rest * w / s for w in weights]
    counts = [int(q) for q in quotas]
    order = sorted(range(n), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [base + c for c in counts]


def _fit_sizes(rng: random.Random, raw: list[float], total: int) -> list[int]:
    """Integer sizes within [MIN_CELL_SIZE, MAX_CELL_SIZE] shaped like `raw`, summing to total."""
    n, lo, hi = len(raw), MIN_CELL_SIZE, MAX_CELL_SIZE
    if not lo * n <= total <= hi * n:
        raise ValueError(f"{total} members cannot fill {n} cells of {lo}–{hi} members")
    factor = total / sum(raw)
    sizes = [0] * n
    for _ in range(40):
        sizes = [min(hi, max(lo, round(r * factor))) for r in raw]
        got = sum(sizes)
        if got == total:
            break
        factor *= total / got
    diff = total - sum(sizes)
    step = 1 if diff > 0 else -1
    order = list(range(n))
    rng.shuffle(order)
    i = 0
    while diff:
        j = order[i % n]
        if lo <= sizes[j] + step <= hi:
            sizes[j] += step
            diff -= step
        i += 1
    return sizes


class _Names:
    """Hands out names from a pool without repeating; numbered names once it runs dry."""

    def __init__(self, rng: random.Random, pool: Sequence[str], fallback: str):
        self.items = list(pool)
        rng.shuffle(self.items)
        self.fallback = fallback
        self.n = 0

    def take(self) -> str:
        if self.items:
            return self.items.pop()
        self.n += 1
        return self.fallback.format(n=self.n)


_PLACE_FIRST = "An Bình Cẩm Diễn Đông Đức Gia Hải Hòa Hồng Hưng Kim Lam Long Minh Nam Nghĩa Ngọc Phú Phúc Quảng Quỳnh Sơn Tân Thạch Thanh Thọ Thuận Tiến Trung Tùng Vạn Việt Vĩnh Xuân Yên".split()
_PLACE_SECOND = "An Bình Châu Đạt Điền Đoài Đông Giang Hà Hải Hòa Hưng Khánh Lạc Lâm Lập Lộc Long Lợi Mỹ Nam Nghĩa Ninh Phong Phú Phúc Quang Sơn Tân Thành Thịnh Thái Thủy Tiến Trung Trường Văn Vinh Xuân Yên".split()
_PLACES = [f"{a} {b}" for a in _PLACE_FIRST for b in _PLACE_SECOND if a != b]
_VILLAGE_NAMES = (
    "Đông|Tây|Nam|Bắc|Trung|Thượng|Hạ|Đình|Chợ|Mới|Bến|Đồng Tâm|Tân Thành|Phú Lộc|Yên Lạc|"
    "Kim Sơn|Quyết Tiến|Thắng Lợi|Đoàn Kết|Tiền Phong|Hợp Nhất|Liên Minh|Thống Nhất|Trung Hòa|"
    "Văn Phú|Ngọc Hà|An Thái|Bình Minh|Rạng Đông|Hưng Thịnh|Quang Trung|Xuân Lộc|Đông Hòa|"
    "Tây Sơn|Bắc Hà|Nam Tiến|Phú Mỹ|Cầu Đá|Bãi Sậy|Gò Mít|Đồng Chùa|Trại Mới|Hòa Lạc"
).split("|")
_DISTRICT_AGENCIES = [
    "Văn phòng {cap}", "Ban Tổ chức {cap}", "Ủy ban Kiểm tra {cap}", "Ban Tuyên giáo và Dân vận {cap}",
    "Văn phòng HĐND và UBND {d}", "Phòng Nội vụ {d}", "Phòng Tài chính – Kế hoạch {d}",
    "Phòng Giáo dục và Đào tạo {d}", "Phòng Y tế {d}", "Phòng Nông nghiệp và Môi trường {d}",
    "Phòng Kinh tế, Hạ tầng và Đô thị {d}", "Phòng Văn hóa, Khoa học và Thông tin {d}",
    "Tòa án nhân dân {d}", "Viện Kiểm sát nhân dân {d}", "Chi cục Thi hành án dân sự {d}",
    "Đội Thuế {d}", "Kho bạc Nhà nước {d}", "Trung tâm Chính trị {d}",
    "Ủy ban Mặt trận Tổ quốc {d}", "Bảo hiểm xã hội {d}", "Trung tâm Văn hóa – Thể thao {d}",
]  # fmt: skip
_STATE_BRANCHES = [
    "Điện lực {d}", "Bưu điện {d}", "Ngân hàng Chính sách xã hội {d}",
    "Chi nhánh Ngân hàng Nông nghiệp {d}", "Chi nhánh Cấp nước {d}", "Hạt Quản lý đường bộ {d}",
]  # fmt: skip
_TRADES = [
    "Xây dựng", "May mặc", "Gạch ngói", "Chế biến Nông sản", "Vận tải", "Thương mại", "Dược phẩm",
    "Cơ khí", "Giống cây trồng", "Thủy sản", "Điện tử", "Chế biến Gỗ", "Bao bì", "Thực phẩm",
    "Du lịch", "Môi trường Đô thị", "Khoáng sản", "Xi măng", "Phân bón", "Đá ốp lát",
]  # fmt: skip
_PROVINCE_AGENCIES = [
    "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ",
    "Sở Tư pháp", "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Văn phòng Tỉnh ủy", "Ban Tổ chức Tỉnh ủy",
    "Ủy ban Kiểm tra Tỉnh ủy", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "Báo tỉnh",
    "Đài Phát thanh và Truyền hình tỉnh", "Trường Chính trị tỉnh", "Bảo hiểm xã hội tỉnh",
    "Thuế tỉnh", "Kho bạc Nhà nước khu vực", "Tòa án nhân dân tỉnh", "Viện Kiểm sát nhân dân tỉnh",
    "Hội Nông dân tỉnh", "Hội Liên hiệp Phụ nữ tỉnh", "Tỉnh đoàn", "Liên đoàn Lao động tỉnh",
    "Ủy ban Mặt trận Tổ quốc tỉnh", "Ban Quản lý các khu công nghiệp", "Quỹ Đầu tư phát triển tỉnh",
    "Trung tâm Kiểm soát bệnh tật tỉnh", "Thư viện tỉnh", "Bảo tàng tỉnh",
]  # fmt: skip
_HOSPITALS = [
    "Bệnh viện Đa khoa tỉnh", "Bệnh viện Sản – Nhi", "Bệnh viện Y học cổ truyền",
    "Bệnh viện Phục hồi chức năng", "Bệnh viện Tâm thần", "Bệnh viện Lao và Bệnh phổi",
    "Bệnh viện Mắt", "Bệnh viện Ung bướu",
]  # fmt: skip
_COLLEGES = [
    "Trường Đại học {p}", "Trường Cao đẳng Sư phạm", "Trường Cao đẳng Y tế",
    "Trường Cao đẳng Kỹ thuật Công nghiệp", "Trường Cao đẳng Nghề", "Trường Cao đẳng Văn hóa Nghệ thuật",
]  # fmt: skip
_AGENCY_CELLS = [
    "Văn phòng", "Phòng Tổ chức – Hành chính", "Phòng Kế hoạch – Tài chính", "Thanh tra",
    "Phòng Nghiệp vụ 1", "Phòng Nghiệp vụ 2", "Phòng Pháp chế", "Trung tâm Dịch vụ",
    "Phòng Quản lý chuyên ngành", "Chi cục trực thuộc",
]  # fmt: skip
_HOSPITAL_CELLS = [
    "Khoa Nội", "Khoa Ngoại", "Khoa Sản", "Khoa Nhi", "Khoa Hồi sức cấp cứu", "Khoa Khám bệnh",
    "Khoa Dược", "Khoa Xét nghiệm", "Khoa Chẩn đoán hình ảnh", "Phòng Kế hoạch tổng hợp",
    "Phòng Tổ chức cán bộ", "Phòng Tài chính kế toán", "Khoa Truyền nhiễm", "Khoa Y học cổ truyền",
    "Khoa Kiểm soát nhiễm khuẩn", "Phòng Điều dưỡng",
]  # fmt: skip
_COLLEGE_CELLS = [
    "Khoa Cơ bản", "Khoa Kinh tế", "Khoa Kỹ thuật", "Khoa Ngoại ngữ", "Khoa Sư phạm",
    "Phòng Đào tạo", "Phòng Công tác học sinh – sinh viên", "Phòng Tổ chức – Hành chính",
]  # fmt: skip
_ENTERPRISE_CELLS = [
    "Văn phòng Công ty", "Phòng Kỹ thuật", "Phòng Kinh doanh", "Phòng Tài chính – Kế toán",
    "Phân xưởng 1", "Phân xưởng 2", "Phân xưởng 3", "Xí nghiệp 1", "Xí nghiệp 2", "Đội xe",
    "Nhà máy", "Chi nhánh phía Bắc", "Chi nhánh phía Nam",
]  # fmt: skip
_MILITARY_CELLS = [
    "Ban Tham mưu", "Ban Chính trị", "Ban Hậu cần – Kỹ thuật", "Đại đội 1", "Đại đội 2",
    "Đại đội 3", "Đại đội Thông tin", "Đại đội Công binh", "Trung đội Trinh sát", "Kho K1",
]  # fmt: skip
_POLICE_CELLS = [
    "Đội Cảnh sát giao thông", "Đội Cảnh sát hình sự", "Đội Điều tra tổng hợp", "Đội An ninh",
    "Đội Tham mưu – Tổng hợp", "Đội Cảnh sát quản lý hành chính", "Đội Cảnh sát PCCC",
    "Đội Cảnh sát kinh tế", "Đội Cảnh sát ma túy", "Nhà tạm giữ",
]  # fmt: skip
_POLICE_OFFICES = [
    "Phòng An ninh chính trị nội bộ", "Phòng Cảnh sát hình sự", "Phòng Cảnh sát kinh tế",
    "Phòng Hậu cần", "Phòng Tham mưu", "Phòng Tổ chức cán bộ", "Phòng Cảnh sát giao thông",
    "Phòng Quản lý xuất nhập cảnh", "Phòng Kỹ thuật hình sự", "Trại tạm giam",
    "Phòng Cảnh sát PCCC và CNCH", "Phòng Cảnh sát điều tra tội phạm về ma túy",
]  # fmt: skip
_MILITARY_UNITS = [
    "Đại đội Bộ binh {n}", "Đại đội Pháo binh {n}", "Trạm Ra đa {n}", "Kho vũ khí K{n}",
    "Đồn Biên phòng {n}", "Tiểu đoàn Huấn luyện {n}",
]  # fmt: skip

# Relative number of cells under a grassroots committee of each flavor.
_CELLS_WEIGHT = {
    "commune": (8, 16), "ward": (8, 18), "township": (7, 13), "health_centre": (4, 7),
    "enterprise": (3, 8), "department": (3, 7), "hospital": (5, 10), "college": (6, 12),
    "military": (3, 7), "police": (4, 9),
}  # fmt: skip
# Median members of a cell of each type (log-normal around it; fitted to the total later).
_SIZE_MEDIAN = {
    CellType.RESIDENTIAL: 22, CellType.AGENCY: 9, CellType.STATE_ENTERPRISE: 12,
    CellType.PRIVATE_ENTERPRISE: 8, CellType.STUDENTS: 14, CellType.ARMED_FORCES: 11,
    CellType.OTHER: 8,
}  # fmt: skip


def _choose(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([t[0] for t in table], weights=[t[1] for t in table])[0]


def plan_province(scale: float = 1.0, *, code: str = PROVINCE_CODE) -> UnitSpec:
    """The tree of the seed-004 province with cell sizes (no people yet, no database)."""
    counts = seed004_counts(scale)
    rng = random.Random(PROVINCE_SEED)
    places = _Names(rng, _PLACES, "Khu vực {n}")
    province_name = places.take()
    root = UnitSpec(code, f"Tỉnh ủy {province_name}", UnitKind.PROVINCE_COMMITTEE)

    # Mid-level committees: districts, towns and a city, then the four provincial blocs.
    n_mid = counts["mid_committees"]
    n_bloc = min(4, round(n_mid * 4 / 21))
    blocs = [
        ("Đảng ủy Khối các cơ quan tỉnh", "agency_bloc", 0.9, 3.0),
        ("Đảng ủy Khối Doanh nghiệp tỉnh", "enterprise_bloc", 0.8, 2.0),
        ("Đảng ủy Quân sự tỉnh", "military_bloc", 0.4, 0.5),
        ("Đảng ủy Công an tỉnh", "police_bloc", 0.5, 1.0),
    ][:n_bloc]
    mids: list[tuple[UnitSpec, float, float]] = []
    for i in range(n_mid - n_bloc):
        place = places.take()
        if i == 0:
            name, label, cap, flavor = f"Thành ủy {place}", f"thành phố {place}", "Thành ủy", "city"
        elif i <= 2:
            name, label, cap, flavor = f"Thị ủy {place}", f"thị xã {place}", "Thị ủy", "town"
        else:
            name, label, cap, flavor = f"Huyện ủy {place}", f"huyện {place}", "Huyện ủy", "district"
        spec = UnitSpec(
            "", name, UnitKind.MID_COMMITTEE, flavor=flavor, place=label, head_title=cap
        )
        mids.append((spec, rng.uniform(0.7, 1.3), rng.uniform(0.7, 1.3)))
    for name, flavor, w_gc, w_gcell in blocs:
        mids.append((UnitSpec("", name, UnitKind.MID_COMMITTEE, flavor=flavor), w_gc, w_gcell))
    n_gc = _apportion(counts["grassroots_committees"], [m[1] for m in mids])
    n_gcell = _apportion(counts["grassroots_cells"], [m[2] for m in mids])
    district_labels = [m[0].place for m in mids if m[0].place] or [f"huyện {province_name}"]

    committees: list[UnitSpec] = []
    shared = {  # provincial bodies: each exists once in the province
        "agencies": _Names(rng, _PROVINCE_AGENCIES, "Ban Quản lý dự án {n}"),
        "hospitals": _Names(rng, _HOSPITALS, "Bệnh viện Đa khoa khu vực {n}"),
        "colleges": _Names(rng, _COLLEGES, "Trường Cao đẳng nghề số {n}"),
        "military": _Names(
            rng, [f"Ban Chỉ huy Quân sự {d}" for d in district_labels], "Trung đoàn {n}"
        ),
        "police": _Names(rng, [f"Công an {d}" for d in district_labels], "Công an khu vực {n}"),
        "military_units": _Names(
            rng, [u.format(n=n) for u in _MILITARY_UNITS for n in range(1, 6)], "Đơn vị {n}"
        ),
        "police_offices": _Names(rng, _POLICE_OFFICES, "Phòng nghiệp vụ {n}"),
    }
    for index, ((mid, _, _), k_gc, k_gcell) in enumerate(zip(mids, n_gc, n_gcell, strict=True), 1):
        mid.code = f"{code}-{index:02d}"
        root.children.append(mid)
        pools = _mid_pools(rng, mid, district_labels, shared)
        orgs = [_grassroots_committee(rng, mid, places, pools) for _ in range(k_gc)]
        orgs += [_grassroots_cell(rng, mid, places, pools) for _ in range(k_gcell)]
        for j, org in enumerate(orgs, 1):
            org.code = f"{mid.code}-{j:03d}"
            mid.children.append(org)
            if org.kind == UnitKind.GRASSROOTS_COMMITTEE:
                committees.append(org)

    weights = [rng.uniform(*_CELLS_WEIGHT[c.flavor]) for c in committees]
    for committee, k in zip(
        committees, _apportion(counts["cells"], weights, minimum=2), strict=True
    ):
        _cells_under(rng, committee, k)
        for j, cell in enumerate(committee.children, 1):
            cell.code = f"{committee.code}-{j:02d}"

    cells = [s for s in root.walk() if s.holds_members]
    raw = [rng.lognormvariate(math.log(_SIZE_MEDIAN.get(c.cell_type, 8)), 0.45) for c in cells]
    for cell, size in zip(cells, _fit_sizes(rng, raw, counts["members"]), strict=True):
        cell.size = size
    return root


def _mid_pools(rng, mid: UnitSpec, districts: list[str], shared: dict) -> dict[str, _Names]:
    """Name pools for the organisations under one mid-level committee (no repeated names)."""
    return shared | {
        "district_agencies": _Names(
            rng,
            [a.format(cap=mid.head_title, d=mid.place) for a in _DISTRICT_AGENCIES],
            f"Trung tâm Dịch vụ công số {{n}} {mid.place}",
        ),
        "branches": _Names(
            rng, [b.format(d=mid.place) for b in _STATE_BRANCHES], f"Chi nhánh số {{n}} {mid.place}"
        ),
    }


def _grassroots_committee(rng, mid: UnitSpec, places: _Names, pools: dict) -> UnitSpec:
    GC = UnitKind.GRASSROOTS_COMMITTEE
    if mid.flavor in ("district", "town", "city"):
        table = {
            "district": [
                ("commune", 72),
                ("ward", 6),
                ("township", 10),
                ("health_centre", 5),
                ("enterprise", 7),
            ],
            "town": [("commune", 40), ("ward", 50), ("enterprise", 10)],
            "city": [("ward", 70), ("commune", 20), ("enterprise", 10)],
        }[mid.flavor]
        flavor = _choose(rng, table)
        if flavor == "health_centre" and pools.setdefault("health_centre_taken", False):
            flavor = "commune"  # one health centre per district
        if flavor in ("commune", "ward", "township"):
            place = places.take()
            word = {"commune": "xã", "ward": "phường", "township": "thị trấn"}[flavor]
            return UnitSpec(
                "", f"Đảng ủy {word} {place}", GC, flavor=flavor, place=f"{word} {place}"
            )
        if flavor == "health_centre":
            pools["health_centre_taken"] = True
            return UnitSpec("", f"Đảng ủy Trung tâm Y tế {mid.place}", GC, flavor=flavor)
        return UnitSpec(
            "",
            f"Đảng ủy Công ty Cổ phần {rng.choice(_TRADES)} {places.take()}",
            GC,
            flavor="enterprise",
        )
    if mid.flavor == "agency_bloc":
        flavor = _choose(rng, [("department", 50), ("hospital", 30), ("college", 20)])
        if flavor == "department":
            name = pools["agencies"].take()
        elif flavor == "hospital":
            name = pools["hospitals"].take()
        else:
            name = pools["colleges"].take().format(p=places.take())
        return UnitSpec("", f"Đảng ủy {name}", GC, flavor=flavor)
    if mid.flavor == "enterprise_bloc":
        kind = rng.choice(["Công ty TNHH MTV", "Tổng Công ty", "Công ty Cổ phần"])
        return UnitSpec(
            "", f"Đảng ủy {kind} {rng.choice(_TRADES)} {places.take()}", GC, flavor="enterprise"
        )
    if mid.flavor == "military_bloc":
        return UnitSpec("", f"Đảng ủy {pools['military'].take()}", GC, flavor="military")
    return UnitSpec("", f"Đảng ủy {pools['police'].take()}", GC, flavor="police")


def _grassroots_cell(rng, mid: UnitSpec, places: _Names, pools: dict) -> UnitSpec:
    GCELL, A = UnitKind.GRASSROOTS_CELL, CellType.AGENCY
    if mid.flavor in ("district", "town", "city"):
        flavor = _choose(rng, [("school", 30), ("agency", 45), ("state", 12), ("private", 13)])
        if flavor == "school":
            level = _choose(
                rng,
                [
                    ("THPT", 50),
                    ("Phổ thông Dân tộc nội trú", 5),
                    ("Trung tâm GDNN – GDTX", 10),
                    ("THCS", 35),
                ],
            )
            name, cell_type = f"Trường {level} {places.take()}", A
        elif flavor == "agency":
            name, cell_type = pools["district_agencies"].take(), A
        elif flavor == "state":
            name, cell_type = pools["branches"].take(), CellType.STATE_ENTERPRISE
        else:
            name = f"Công ty TNHH {rng.choice(_TRADES)} {places.take()}"
            cell_type = CellType.PRIVATE_ENTERPRISE
    elif mid.flavor == "agency_bloc":
        name, cell_type = pools["agencies"].take(), A
    elif mid.flavor == "enterprise_bloc":
        private = rng.random() < 0.6
        kind = "Công ty Cổ phần" if private else "Công ty TNHH MTV"
        name = f"{kind} {rng.choice(_TRADES)} {places.take()}"
        cell_type = CellType.PRIVATE_ENTERPRISE if private else CellType.STATE_ENTERPRISE
    elif mid.flavor == "military_bloc":
        name, cell_type = pools["military_units"].take(), CellType.ARMED_FORCES
    else:
        name, cell_type = pools["police_offices"].take(), CellType.ARMED_FORCES
    return UnitSpec("", f"Chi bộ {name}", GCELL, cell_type, place=mid.place)


def _cells_under(rng: random.Random, org: UnitSpec, k: int) -> None:
    """Fill a grassroots committee with k cells fitting what it is."""
    C, A, S, R = UnitKind.CELL, CellType.AGENCY, CellType.ARMED_FORCES, CellType.RESIDENTIAL
    if org.flavor in ("commune", "ward", "township"):
        place = org.place  # "xã Hòa Bình"
        short = place.split(" ", 1)[1] if org.flavor != "township" else place.split(" ", 2)[2]
        specials = [
            (f"Cơ quan Đảng – Đoàn thể {place}", A),
            (f"Công an {place}", S),
            (f"Quân sự {place}", S),
            (f"Trường THCS {short}", A),
            (f"Trường Tiểu học {short}", A),
            (f"Trường Mầm non {short}", A),
            (f"Trạm Y tế {place}", A),
            (f"Cơ quan Chính quyền {place}", A),
        ]
        n_special = min(len(specials), max(1, round(k * 0.3))) if k >= 3 else 1
        for name, cell_type in specials[:n_special]:
            org.children.append(UnitSpec("", f"Chi bộ {name}", C, cell_type))
        if org.flavor == "commune":
            head, style = (
                "Trưởng thôn",
                _choose(
                    rng,
                    [
                        ("thôn {v}", 45),
                        ("thôn {n}", 20),
                        ("xóm {n}", 20),
                        ("bản {v}", 5),
                        ("ấp {v}", 10),
                    ],
                ),
            )
        else:
            head, style = (
                "Tổ trưởng tổ dân phố",
                _choose(rng, [("tổ dân phố {n}", 60), ("khu phố {n}", 25), ("khối {n}", 15)]),
            )
        villages = _Names(rng, _VILLAGE_NAMES, "Mới {n}")
        for n in range(1, k - n_special + 1):
            label = style.format(n=n, v=villages.take() if "{v}" in style else "")
            org.children.append(
                UnitSpec(
                    "",
                    f"Chi bộ {label}",
                    C,
                    R,
                    place=f"{label[0].upper()}{label[1:]}, {place}",
                    head_title=head,
                )
            )
        return
    pool, cell_type = {
        "health_centre": (_HOSPITAL_CELLS, A),
        "hospital": (_HOSPITAL_CELLS, A),
        "department": (_AGENCY_CELLS, A),
        "college": (_COLLEGE_CELLS, A),
        "military": (_MILITARY_CELLS, S),
        "police": (_POLICE_CELLS, S),
        "enterprise": (_ENTERPRISE_CELLS, None),
    }[org.flavor]
    if cell_type is None:
        state = "TNHH MTV" in org.name or "Tổng Công ty" in org.name
        cell_type = CellType.STATE_ENTERPRISE if state else CellType.PRIVATE_ENTERPRISE
    names = _Names(rng, pool, "Tổ {n}")
    students = max(1, k // 2) if org.flavor == "college" else 0
    for n in range(1, k + 1):
        if n <= students:
            org.children.append(UnitSpec("", f"Chi bộ Sinh viên {n}", C, CellType.STUDENTS))
        else:
            org.children.append(UnitSpec("", f"Chi bộ {names.take()}", C, cell_type))


PROVINCE_ACCOUNTS = [
    ("admin.tinh", Role.ADMIN),
    ("bantochuc.tinh", Role.OFFICER),
    ("huyen.tinh", Role.OFFICER),
    ("xa.tinh", Role.OFFICER),
    ("bithu.tinh", Role.SECRETARY),
    ("thuky.tinh", Role.CLERK),
    ("dangvien.tinh", Role.MEMBER),
    ("duthinh.tinh", Role.ATTENDEE),
]


def _province_accounts(tree: UnitSpec) -> list[AccountSpec]:
    committees = [s for s in tree.walk() if s.kind == UnitKind.GRASSROOTS_COMMITTEE]
    # A commune (or ward) and one of its villages; whatever exists in a scaled-down province.
    commune = next((s for s in committees if s.flavor == "commune"), None) or next(
        (s for s in committees if s.flavor in ("ward", "township")), committees[0]
    )
    district = next(m for m in tree.children if commune in m.children)
    village = next(
        (c for c in commune.children if c.cell_type == CellType.RESIDENTIAL), commune.children[0]
    )
    return [
        AccountSpec("admin.tinh", Role.ADMIN, tree.code, label="Quản trị hệ thống tỉnh"),
        AccountSpec("bantochuc.tinh", Role.OFFICER, tree.code, label="Cán bộ Ban Tổ chức Tỉnh ủy"),
        AccountSpec(
            "huyen.tinh", Role.OFFICER, district.code, label=f"Cán bộ Ban Tổ chức {district.name}"
        ),
        AccountSpec("xa.tinh", Role.OFFICER, commune.code, feature="commune_officer"),
        AccountSpec("bithu.tinh", Role.SECRETARY, village.code, feature="secretary"),
        AccountSpec("thuky.tinh", Role.CLERK, village.code, feature="clerk"),
        AccountSpec("dangvien.tinh", Role.MEMBER, village.code, feature="member"),
        AccountSpec("duthinh.tinh", Role.ATTENDEE, village.code, feature="attendee"),
    ]


def _mark_account_people(tree: UnitSpec, specs: list[AccountSpec]) -> None:
    units = {s.code: s for s in tree.walk()}
    parents = {id(c): s for s in tree.walk() for c in s.children}
    for spec in specs:
        if not spec.feature:
            continue
        unit = units[spec.unit_code]
        if spec.feature in ("commune_officer", "attendee"):
            # Commune committee people belong to the commune's own agency cell.
            commune = parents[id(unit)] if unit.holds_members else unit
            unit = next(
                (c for c in commune.children if c.cell_type == CellType.AGENCY),
                commune.children[-1],
            )
        if spec.feature == "secretary":
            person = next(p for p in unit.people if p.position == Position.SECRETARY)
        else:
            person = _first_plain(unit.people)
        person.feature = spec.feature


def generate_province(
    *,
    scale: float = 1.0,
    code: str = PROVINCE_CODE,
    today: datetime.date | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> DemoResult:
    """Generate the seed-004 province in bulk, unless a unit with `code` exists (then only
    read back). `progress(label, seconds)` is called after each phase."""
    timings: list[tuple[str, float]] = []
    clock = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings.append((label, now - clock))
        if progress:
            progress(label, now - clock)
        clock = now

    existing = Unit.objects.filter(code=code).first()
    if existing is not None:
        specs = [AccountSpec(name, role, "") for name, role in PROVINCE_ACCOUNTS]
        return DemoResult(
            False, existing, read_accounts(specs, existing), province_counts(existing)
        )
    today = today or timezone.localdate()
    tree = plan_province(scale, code=code)
    rng = random.Random(PROVINCE_SEED * 1000 + 1)
    maker = PeopleMaker(rng, today)
    cells = [s for s in tree.walk() if s.holds_members]
    for spec in cells:
        spec.people = maker.cell(spec)
    account_specs = _province_accounts(tree)
    _mark_account_people(tree, account_specs)
    maker.attachments(cells)
    people = [p for c in cells for p in c.people]
    maker.card_numbers(people, PROVINCE_CARD_PREFIX)
    lap("Lập kế hoạch (cây đơn vị, đảng viên)")

    with transaction.atomic():
        province = services.unit_create(
            parent=None, code=tree.code, name=tree.name, kind=tree.kind, by=None
        )
        tree.unit = province
        rows: list[Unit] = []

        def place_children(spec: UnitSpec, path: str, depth: int) -> None:
            for i, child in enumerate(spec.children, 1):
                child_path = Unit._get_path(path, depth + 1, i)
                name = normalize(child.name)
                child.unit = Unit(
                    path=child_path,
                    depth=depth + 1,
                    numchild=len(child.children),
                    code=normalize(child.code).upper(),
                    name=name,
                    name_folded=fold(name),
                    kind=child.kind,
                    cell_type=child.cell_type if child.holds_members else "",
                )
                rows.append(child.unit)
                place_children(child, child_path, depth + 1)

        place_children(tree, province.path, province.depth)
        Unit.objects.bulk_create(rows, batch_size=500)
        province.numchild = len(tree.children)
        Unit.objects.filter(pk=province.pk).update(numchild=province.numchild)
        lap(f"Tạo {len(rows) + 1:,} đơn vị".replace(",", "."))

        members: list[Member] = []
        for spec in cells:
            for p in spec.people:
                data = _member_data(p, spec.unit)
                member = Member(**data, province=province)
                member.fill_derived()
                p.member = member
                members.append(member)
        Member.objects.bulk_create(members, batch_size=1000)
        lap(f"Tạo {len(members):,} đảng viên".replace(",", "."))

        exemptions, attachments, events = [], [], []
        note = "Dữ liệu mẫu quy mô tỉnh"
        for spec in cells:
            for p in spec.people:
                member = p.member
                events.append(
                    MemberEvent(
                        member=member,
                        kind=MemberEventKind.IMPORTED,
                        effective_on=today,
                        to_cell=spec.unit,
                        summary=note,
                    )
                )
                if p.exemption:
                    start, end, reason, ref = p.exemption
                    exemptions.append(
                        Exemption(
                            member=member,
                            start=_date(start),
                            end=_date(end),
                            reason=reason,
                            decision_ref=ref,
                        )
                    )
                    events.append(
                        MemberEvent(
                            member=member,
                            kind=MemberEventKind.EXEMPTED,
                            effective_on=_date(start),
                            summary=reason,
                            details={
                                "end": _date(end).isoformat() if end else None,
                                "decision_ref": ref,
                            },
                        )
                    )
                if p.attachment:
                    host, start, end, reason, ref = p.attachment
                    host_unit = cells[host].unit
                    attachments.append(
                        TemporaryAttachment(
                            member=member,
                            host_cell=host_unit,
                            start=_date(start),
                            end=_date(end),
                            reason=reason,
                            decision_ref=ref,
                        )
                    )
                    events.append(
                        MemberEvent(
                            member=member,
                            kind=MemberEventKind.ATTACHED,
                            effective_on=_date(start),
                            from_cell=spec.unit,
                            to_cell=host_unit,
                            summary=reason,
                            details={"end": _date(end).isoformat()},
                        )
                    )
        Exemption.objects.bulk_create(exemptions, batch_size=1000)
        TemporaryAttachment.objects.bulk_create(attachments, batch_size=1000)
        MemberEvent.objects.bulk_create(events, batch_size=2000)
        lap("Miễn sinh hoạt, sinh hoạt tạm thời, lịch sử")

        _create_accounts(tree, account_specs)
        counts = province_counts(province)
        audit.record(
            actor=None,
            action="demo.province",
            obj=province,
            unit_path=province.path,
            changes={"scale": scale, **counts},
            note=note,
        )
        lap("Tài khoản mẫu")
    return DemoResult(True, province, read_accounts(account_specs, province), counts, timings)
