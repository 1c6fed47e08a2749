"""Schemathesis against /api/v1/openapi.json, in process, as a member, a cell secretary and
an officer (bearer tokens).

Every operation of the schema is called with data Schemathesis generates from it (valid and
invalid), its path ids taken from objects seeded in both halves of the `world` tree
(`seed.py`): the caller's own half, the other half, and for nested routes the caller's parent
with the other half's child; once more on the caller's own half with a NUL character in every
text. Each call runs in a savepoint that is rolled back, so every example sees the same data.
A call fails when

- the server errs (5xx: Schemathesis' `not_a_server_error`);
- an id of the other half answers 2xx (it must answer 404: DESIGN.md, "Access");
- a 2xx JSON answer names anything of the other half (its units, members or the marker word
  written into every text there).

Bounded for the test run: a few examples per operation and target, derandomized so a run is
reproducible; the whole module takes well under a minute on SQLite.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from chibo.accounts.tokens import token_create

from .seed import seed

API = "/api/v1"
# Examples per operation and target. The caller's own objects get valid and invalid data; the
# other half's get valid data only, so that the call reaches the access check (invalid data
# answers 422 before any object is looked up).
# "nul": the caller's own objects again, valid data with a NUL character put into every text
# (PostgreSQL cannot store one: it must be dropped or refused, never reach the database).
EXAMPLES = {"own": 2, "nul": 1, "foreign": 1, "mixed": 1}
MODES = {
    "own": (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    "nul": (GenerationMode.POSITIVE,),
    "foreign": (GenerationMode.POSITIVE,),
    "mixed": (GenerationMode.POSITIVE,),
}
# Path parameters that are not ids: Schemathesis generates them from the schema.
NOT_IDS = {"subject", "file", "document"}


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept inside the test's transaction: like the test client, do not
    let the request signals close the connection (that would end the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi(f"{API}/openapi.json", wsgi_app)


@dataclass(frozen=True)
class Target:
    kind: str  # own | nul | foreign | mixed
    ids: dict[str, tuple[int, ...]]  # path parameter → ids to choose from


def _pool_name(path: str, param: str) -> str:
    if param == "section_id" and path.startswith(f"{API}/minutes-templates/"):
        return "template_section_id"
    return param


def targets(operation, own: dict, foreign: dict) -> list[Target]:
    params = re.findall(r"{(\w+)}", operation.path)
    ids = [p for p in params if p not in NOT_IDS]
    # Texts arrive in a body or a query string: an operation without either has none to spoil.
    nul = len(operation.body) > 0 or len(operation.query) > 0
    if not ids:
        return [Target("own", {}), *([Target("nul", {})] if nul else [])]

    def pick(pools, names):
        return {p: tuple(pools[_pool_name(operation.full_path, p)]) for p in names}

    found = [Target("own", pick(own, ids)), Target("foreign", pick(foreign, ids))]
    if nul:
        found.append(Target("nul", pick(own, ids)))
    if len(ids) > 1:
        found.append(Target("mixed", pick(own, ids[:1]) | pick(foreign, ids[1:])))
    return found


def with_nul(value):
    """`value` with a NUL character in the middle of every text in it."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:]
    if isinstance(value, dict):
        return {key: with_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_nul(item) for item in value]
    return value


def _text_of(response) -> str | None:
    """A JSON body as text with its non-ASCII letters as written (not \\u escapes)."""
    if "json" not in (response.headers.get("content-type") or [""])[0]:
        return None
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return None


def run_operation(operation, *, headers, target: Target, forbidden: list[str]) -> None:
    strategy = st.one_of([operation.as_strategy(generation_mode=m) for m in MODES[target.kind]])

    def within_grants(ctx, response, case):
        if target.kind in ("foreign", "mixed") and 200 <= response.status_code < 300:
            raise AssertionError(
                f"{case.method} {case.formatted_path} answered {response.status_code} for an "
                "id outside the caller's grants (expected 404)"
            )

    def no_leak(ctx, response, case):
        if not 200 <= response.status_code < 300:
            return
        text = _text_of(response)
        if text is None:
            return
        leaked = [word for word in forbidden if word in text]
        if leaked:
            raise AssertionError(
                f"{case.method} {case.formatted_path} shows {leaked}: {text[:500]}"
            )

    @settings(
        max_examples=EXAMPLES[target.kind], derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )  # fmt: skip
    @given(data=st.data())
    def check(data):
        case = data.draw(strategy, label="case")
        chosen = {p: data.draw(st.sampled_from(v), label=p) for p, v in target.ids.items()}
        if chosen:
            case.path_parameters = {**(case.path_parameters or {}), **chosen}
        if target.kind == "nul":
            case.body = with_nul(case.body)
            case.query = with_nul(case.query)
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=[not_a_server_error, within_grants, no_leak])

    check()


CALLERS = {  # role: (own half, other half)
    "member_a": ("a", "d"),
    "secretary_a": ("a", "d"),
    "officer_c2": ("d", "a"),
}


@pytest.mark.parametrize("role", sorted(CALLERS))
def test_fuzzed_api_calls_stay_within_the_grants(world, settings, tmp_path, api_schema, role):
    settings.MEDIA_ROOT = tmp_path
    settings.VAR_DIR = tmp_path
    halves = seed(world)
    own_name, other_name = CALLERS[role]
    own, other = getattr(halves, own_name), getattr(halves, other_name)
    own_ids, foreign_ids = dict(own.ids), dict(other.ids)
    forbidden = list(other.texts)
    if role != "officer_c2":
        # A member and a secretary see their cell only: the committee above and the sibling
        # cell are outside.
        own_ids["unit_id"] = [world.a.pk]
        foreign_ids["unit_id"] = [*other.ids["unit_id"], world.b.pk, world.c1.pk, world.p.pk]
        forbidden += [world.b.name, world.binh.full_name]
    else:
        foreign_ids["unit_id"] = [*other.ids["unit_id"], world.p.pk]
    _token, raw = token_create(user=world.users[role], name="schemathesis", days=1)
    headers = {"Authorization": f"Bearer {raw}"}

    failures = []  # every operation's failure, reported together
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for target in targets(operation, own_ids, foreign_ids):
            try:
                run_operation(operation, headers=headers, target=target, forbidden=forbidden)
            except (Exception, BaseExceptionGroup) as error:  # Schemathesis' FailureGroup
                failures.append(f"{operation.label} [{target.kind}]: {error}")
    assert not failures, "\n\n".join(failures)
