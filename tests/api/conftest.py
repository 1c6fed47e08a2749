"""Helpers for the API tests: bearer-token clients and query counting."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chibo.accounts.tokens import token_create

API = "/api/v1"
JSON = {"content_type": "application/json"}


@pytest.fixture
def bearer_for(world):
    """bearer_for("officer_c1") → {"HTTP_AUTHORIZATION": "Bearer <fresh key>"}."""

    def make(role: str, *, days: int = 30) -> dict[str, str]:
        _token, raw = token_create(user=world.users[role], name=f"test {role}", days=days)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture(params=["session", "bearer"])
def api_client_as(request, world, client_as, bearer_for):
    """Like `client_as`, authenticated either by the session or by a bearer token, so every
    matrix runs once per way of authenticating."""
    if request.param == "session":
        return client_as

    def make(role: str) -> Client:
        if role == "anonymous":
            return Client()
        return Client(**bearer_for(role))

    return make


def count_queries(client: Client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def english(client: Client) -> Client:
    """Ask for English messages, the way chibo lets a user choose (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
