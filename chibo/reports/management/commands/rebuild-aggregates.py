"""chibo rebuild-aggregates [--province CODE]: recompute the dashboards' monthly figures from
the raw tables (after restructuring the tree, a restore, or to check them)."""

import time

from django.core.management.base import BaseCommand, CommandError

from chibo.org.models import Unit
from chibo.reports import aggregates


class Command(BaseCommand):
    help = "Tính lại số liệu tổng hợp hằng tháng của các bảng điều khiển từ dữ liệu gốc."

    def add_arguments(self, parser):
        parser.add_argument("--province", help="Mã tỉnh (mặc định: tất cả).")

    def handle(self, *args, province=None, **options):
        root = None
        if province:
            root = Unit.objects.filter(code=province, depth=1).first()
            if root is None:
                raise CommandError(f"Không có tỉnh mã «{province}».")
        started = time.perf_counter()
        rows = aggregates.rebuild(root)
        self.stdout.write(f"Đã tính lại {rows} dòng số liệu trong {time.perf_counter() - started:.1f} giây.")
