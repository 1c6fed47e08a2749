"""Small helpers about requests shared by the views."""

from __future__ import annotations


def is_htmx(request) -> bool:
    """The request comes from htmx (the page asks for a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"
