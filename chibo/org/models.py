"""The party tree (Unit) and the member registry (Member with its history)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from chibo.core.text import fold, normalize, person_sort_key


class UnitKind(models.TextChoices):
    """A label for the reader; the tree's depth is never inferred from it."""

    PROVINCE_COMMITTEE = "province_committee", _("Province committee")
    MID_COMMITTEE = "mid_committee", _("Committee directly under the province")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots committee")
    GRASSROOTS_CELL = "grassroots_cell", _("Grassroots cell")
    CELL = "cell", _("Cell under a grassroots committee")
    OTHER = "other", _("Other party organisation")


CELL_KINDS = {UnitKind.GRASSROOTS_CELL, UnitKind.CELL}


class CellType(models.TextChoices):
    RESIDENTIAL = "residential", _("Village / residential group")
    AGENCY = "agency", _("Administrative or public-service agency")
    STATE_ENTERPRISE = "state_enterprise", _("State-owned enterprise")
    PRIVATE_ENTERPRISE = "private_enterprise", _("Private or foreign-invested enterprise")
    STUDENTS = "students", _("Pupils and students")
    ARMED_FORCES = "armed_forces", _("Armed forces")
    OTHER = "other", _("Other")


class Unit(MP_Node):
    """Any node of the party tree. Cells hold members; committees hold units."""

    steplen = 4
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    cell_type = models.CharField(
        _("cell type"), max_length=32, choices=CellType.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    name_folded = models.CharField(max_length=255, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("party unit")
        verbose_name_plural = _("party units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = normalize(self.name)
        self.code = normalize(self.code).upper()
        self.name_folded = fold(self.name)
        if not self.holds_members:
            self.cell_type = ""
        super().save(*args, **kwargs)

    @property
    def holds_members(self) -> bool:
        return self.kind in CELL_KINDS

    @property
    def subtree_q(self) -> Q:
        """Q for units in this unit's subtree (itself included)."""
        return Q(path__startswith=self.path)


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary")
    OFFICIAL = "official", _("Official")


class Position(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY = "deputy", _("Deputy secretary")
    COMMITTEE = "committee", _("Cell committee member")
    MEMBER = "member", _("Member")


POSITION_RANK = {
    Position.SECRETARY: 0,
    Position.DEPUTY: 1,
    Position.COMMITTEE: 2,
    Position.MEMBER: 3,
}


class FeeCategory(models.TextChoices):
    # xgettext:no-python-format
    SALARIED = "salaried", _("Salaried (1% of salary)")
    # xgettext:no-python-format
    PENSIONER = "pensioner", _("Pensioner (0.5% of pension)")
    STUDENT = "student", _("Student")
    OTHER_INCOME = "other_income", _("Other income")
    EXEMPT = "exempt", _("Exempt")


class DepartureKind(models.TextChoices):
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the province")
    REMOVED = "removed", _("Removed from the rolls (xóa tên)")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")
    LEFT = "left", _("Left the party at own request")


class ActiveMemberManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(departed_on__isnull=True)


class Member(models.Model):
    family_name = models.CharField(_("family name"), max_length=64)
    middle_name = models.CharField(_("middle name"), max_length=64, blank=True)
    given_name = models.CharField(_("given name"), max_length=64)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    card_number = models.CharField(
        _("party card number"), max_length=20, unique=True, null=True, blank=True
    )
    admission_date = models.DateField(_("admission date"))
    official_date = models.DateField(_("official date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, db_index=True
    )
    cell = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("cell")
    )
    # The province the member belongs to: every big table carries it so it can be sharded.
    province = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", editable=False, null=True
    )
    position = models.CharField(
        _("position in the cell"), max_length=16, choices=Position.choices, default=Position.MEMBER
    )
    community_roles = models.CharField(
        _("community roles"),
        max_length=255,
        blank=True,
        help_text=_("For example: village head, head of the front work committee."),
    )
    fee_category = models.CharField(
        _("fee category"), max_length=16, choices=FeeCategory.choices, default=FeeCategory.SALARIED
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    departed_on = models.DateField(_("departed on"), null=True, blank=True, db_index=True)
    departure_kind = models.CharField(
        _("departure"), max_length=16, choices=DepartureKind.choices, blank=True
    )
    departure_note = models.TextField(_("departure note"), blank=True)

    full_name = models.CharField(max_length=200, editable=False)
    name_folded = models.CharField(max_length=200, editable=False)
    sort_key = models.CharField(max_length=400, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager()
    active = ActiveMemberManager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["sort_key", "id"]
        indexes = [
            models.Index(fields=["cell", "sort_key"]),
            models.Index(fields=["province", "sort_key"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.fill_derived()
        super().save(*args, **kwargs)

    def fill_derived(self) -> None:
        """Normalise names and compute the stored search and sort keys."""
        self.family_name = normalize(self.family_name)
        self.middle_name = normalize(self.middle_name)
        self.given_name = normalize(self.given_name)
        self.full_name = " ".join(
            p for p in (self.family_name, self.middle_name, self.given_name) if p
        )
        self.name_folded = fold(self.full_name)
        self.sort_key = person_sort_key(self.family_name, self.middle_name, self.given_name)
        self.card_number = normalize(self.card_number) or None
        for field in ("community_roles", "address", "phone"):
            setattr(self, field, normalize(getattr(self, field)))

    @property
    def is_active(self) -> bool:
        return self.departed_on is None

    @property
    def votes(self) -> bool:
        return self.status == MemberStatus.OFFICIAL

    @property
    def current_attachments(self) -> list[TemporaryAttachment]:
        today = timezone.localdate()
        return [a for a in self.attachments.all() if a.covers(today)]

    @property
    def current_exemption(self) -> Exemption | None:
        return self.exemption_on(timezone.localdate())

    def exemption_on(self, day: datetime.date) -> Exemption | None:
        return next((e for e in self.exemptions.all() if e.covers(day)), None)

    def attachment_on(self, day: datetime.date) -> TemporaryAttachment | None:
        return next((a for a in self.attachments.all() if a.covers(day)), None)


class PeriodQuerySet(models.QuerySet):
    def covering(self, day: datetime.date):
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gte=day))


class Exemption(models.Model):
    """Exemption from party work and meetings, decided by the cell (miễn sinh hoạt)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="exemptions")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    decision_ref = models.CharField(_("decision reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("exemption")

    def __str__(self) -> str:
        return f"{self.member} {self.start}–{self.end or ''}"

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class TemporaryAttachment(models.Model):
    """Temporary attachment to another cell (sinh hoạt tạm thời): no vote there."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attachments")
    host_cell = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="attached_members", verbose_name=_("host cell")
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    decision_ref = models.CharField(_("decision reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("temporary attachment")

    def __str__(self) -> str:
        return f"{self.member} → {self.host_cell}"

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class MemberEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    EDITED = "edited", _("Details changed")
    BECAME_OFFICIAL = "official", _("Became an official member")
    EXEMPTED = "exempted", _("Exempted from meetings")
    ATTACHED = "attached", _("Temporarily attached to another cell")
    TRANSFERRED = "transferred", _("Transferred to another cell")
    MERGED = "merged", _("Cell merged")
    DEPARTED = "departed", _("Left the rolls")
    IMPORTED = "imported", _("Imported")


class MemberEvent(models.Model):
    """The member's history as the domain sees it (effective dates), shown on the member page."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=MemberEventKind.choices)
    effective_on = models.DateField()
    from_cell = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_cell = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.effective_on}"
