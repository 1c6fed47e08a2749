"""The small demo's scores: the judged criteria of its finalised meetings scored by each cell's
secretary (or, for cells without a secretary account, the organisation-board officer), a few
reviewed by the organisation board — through the services, so every point has its author and
reason. The last finalised meeting of each cell is
left awaiting its scorer, as it would be in real life."""

from __future__ import annotations

import random
import zlib

from chibo.accounts.models import Grant, Role
from chibo.org.models import Unit
from chibo.rulebooks.models import Measure

from . import services
from .models import MeetingScore, ScoreStatus

REASONS = [
    "Nội dung sát tình hình thôn, thảo luận sôi nổi.",
    "Đảng viên phát biểu còn ít, kết luận chưa cụ thể.",
    "Chuẩn bị chu đáo, điều hành chặt chẽ.",
    "Còn nặng về thông báo tình hình, ít bàn giải pháp.",
]


def score_demo_meetings(province: Unit) -> int:
    """Judge the awaiting scores of the province's meetings (but each cell's latest). Returns
    how many were completed. Idempotent: completed scores are left alone."""
    officer = (Grant.objects.current().filter(role=Role.OFFICER, unit__path__startswith=province.path)
               .select_related("user").order_by("unit__depth", "id").first())  # fmt: skip
    done = 0
    awaiting = (MeetingScore.objects.filter(province=province, status=ScoreStatus.AWAITING)
                .select_related("meeting__unit").order_by("unit_id", "-meeting__date"))  # fmt: skip
    latest_seen: set[int] = set()
    for score in awaiting:
        if score.unit_id not in latest_seen:
            latest_seen.add(score.unit_id)
            continue
        secretary = (Grant.objects.current().filter(role=Role.SECRETARY, unit_id=score.unit_id)
                     .select_related("user").first())  # fmt: skip
        rng = random.Random(zlib.crc32(f"{score.meeting_id}".encode()))
        if secretary is not None:
            scorer = secretary.user
            score = services.score_assign(score=score, scorer=scorer, by=scorer)
        elif officer is not None:
            # Demo shortcut: most demo cells have no secretary account to assign the scorer.
            scorer = officer.user
            MeetingScore.objects.filter(pk=score.pk).update(scorer=scorer)
            score.scorer = scorer
        else:
            continue
        lines = score.lines.filter(criterion__measure=Measure.JUDGED).select_related("criterion")
        # Each cell has its own level (some are good, some weak), each meeting a little noise.
        level = random.Random(zlib.crc32(f"cell-{score.unit_id}".encode())).uniform(0.55, 1.0)
        judgements = {
            line.criterion_id: (round(float(line.criterion.points)
                                      * min(1.0, max(0.3, rng.gauss(level, 0.08)))),
                                rng.choice(REASONS))
            for line in lines
        }  # fmt: skip
        score = services.score_judge(score=score, by=scorer, judgements=judgements)
        if officer is not None and rng.random() < 0.15:
            line = score.lines.filter(criterion__measure=Measure.JUDGED, points__gte=2).first()
            if line is not None:
                services.score_adjust(score=score, by=officer.user, criterion_id=line.criterion_id,
                                      points=line.points - 2,
                                      reason="Ban Tổ chức xem lại biên bản: chất lượng thảo luận "
                                             "chưa đạt mức tự chấm.")  # fmt: skip
        done += 1
    return done
