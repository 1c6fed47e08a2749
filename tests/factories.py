"""Test data builders with real Vietnamese names."""

import datetime
import itertools

import factory

from chibo.accounts.models import Grant, User
from chibo.org.models import Member, MemberStatus, Unit

_card = itertools.count(10_000_001)


def make_unit(parent, code, name, kind, cell_type=""):
    fields = dict(code=code, name=name, kind=kind, cell_type=cell_type)
    if parent is None:
        return Unit.objects.add_root(fields)
    return Unit.objects.add_child(Unit.objects.get(pk=parent.pk), fields)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    family_name = factory.Iterator(["Nguyễn", "Trần", "Lê", "Phạm", "Đặng", "Vũ", "Hoàng"])
    middle_name = factory.Iterator(["Văn", "Thị", "Đức", "Thu", ""])
    given_name = factory.Iterator(["An", "Bình", "Cường", "Dũng", "Hoa", "Hương", "Ưng", "Ơn"])
    gender = "male"
    birth_date = datetime.date(1970, 5, 1)
    admission_date = datetime.date(2000, 5, 19)
    official_date = datetime.date(2001, 5, 19)
    status = MemberStatus.OFFICIAL
    card_number = factory.LazyFunction(lambda: f"{next(_card):08d}")

    @factory.lazy_attribute
    def province(self):
        return Unit.objects.get(path=self.cell.path[: Unit.steplen])


def make_user(username, *, role=None, unit=None, member=None, password="Mật-khẩu-thử-1234"):
    user = User.objects.create_user(username=username, password=password, member=member)
    if role:
        Grant.objects.create(user=user, role=role, unit=unit)
    return user
