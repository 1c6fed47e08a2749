"""Helpers for the API tests: bearer-token clients and query counting."""

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

API = "/api/v1"
JSON = {"content_type": "application/json"}


def count_queries(client: Client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def english(client: Client) -> Client:
    """Ask for English messages, the way chibo lets a user choose (the language cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
