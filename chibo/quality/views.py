"""A meeting's score: the breakdown for whoever may see the meeting; the secretary assigns the
scorer, the scorer judges, the upper level adjusts. Thin: parse, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chibo.accounts.access import scope_for
from chibo.meetings.selectors import get_meeting
from chibo.meetings.services import EditConflict
from chibo.org import selectors as org_selectors
from chibo.org.forms import apply_service_errors

from . import selectors, services
from .forms import AdjustForm, JudgeForm, ScorerForm


def _forms(score, rights, data=None, which=None):
    lines = list(score.lines.all())
    judged = [line for line in lines if line.criterion.is_judged]
    initial = {"version": score.version}
    bound = lambda name: data if which == name else None  # noqa: E731
    return {
        "scorer_form": ScorerForm(bound("scorer"), initial={**initial, "scorer": score.scorer_id},
                                  candidates=services.scorer_candidates(score.meeting))
        if rights.assign else None,
        "judge_form": JudgeForm(bound("judge"), initial=initial, lines=judged)
        if rights.judge else None,
        "adjust_form": AdjustForm(bound("adjust"), initial=initial, lines=lines)
        if rights.review else None,
    }  # fmt: skip


def _page(request, scope, meeting, score, *, failed=None, status=200):
    context = {"meeting": meeting, "score": score,
               "ancestors": [*org_selectors.visible_ancestors(scope, meeting.unit), meeting.unit]}  # fmt: skip
    if score is not None:
        rights = selectors.score_rights(scope, score)
        context |= {"groups": selectors.score_groups(score), "rights": rights,
                    **_forms(score, rights), **(failed or {})}  # fmt: skip
    return render(request, "quality/score.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def meeting_score(request, pk: int):
    scope = scope_for(request.user)
    meeting = get_meeting(scope, pk)
    return _page(request, scope, meeting, selectors.score_of(meeting))


def _act(request, pk: int, which: str, allowed, action, done: str):
    scope = scope_for(request.user)
    meeting = get_meeting(scope, pk)
    score = selectors.score_of(meeting)
    if score is None or not allowed(selectors.score_rights(scope, score)):
        raise PermissionDenied
    forms = _forms(score, selectors.score_rights(scope, score), request.POST, which)
    form = forms[f"{which}_form"]
    if form.is_valid():
        try:
            action(score, form)
        except EditConflict:
            form.add_error(None, _("Someone changed this score while you were working. Check "
                                   "it below and try again."))  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("meeting_score", pk=meeting.pk)
    return _page(request, scope, meeting, selectors.score_of(meeting),
                 failed={f"{which}_form": form}, status=422)  # fmt: skip


@login_required
@require_POST
def score_assign(request, pk: int):
    return _act(request, pk, "scorer", lambda r: r.assign, lambda score, form: services.score_assign(
        score=score, scorer=form.cleaned_data["scorer"], by=request.user,
        version=form.cleaned_data.get("version")), _("The scorer is assigned."))  # fmt: skip


@login_required
@require_POST
def score_judge(request, pk: int):
    return _act(request, pk, "judge", lambda r: r.judge, lambda score, form: services.score_judge(
        score=score, by=request.user, judgements=form.judgements(),
        version=form.cleaned_data.get("version")), _("Your points are saved."))  # fmt: skip


@login_required
@require_POST
def score_adjust(request, pk: int):
    return _act(request, pk, "adjust", lambda r: r.review, lambda score, form: services.score_adjust(
        score=score, by=request.user, criterion_id=form.cleaned_data["criterion"],
        points=form.cleaned_data["points"], reason=form.cleaned_data["reason"],
        version=form.cleaned_data.get("version")), _("The score is adjusted."))  # fmt: skip
