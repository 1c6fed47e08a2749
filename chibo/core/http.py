"""Small helpers about requests shared by the views."""

from __future__ import annotations

from django.http import FileResponse, Http404


def is_htmx(request) -> bool:
    """The request comes from htmx (the page asks for a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def stored_file_download(stored, *, name: str, content_type: str) -> FileResponse:
    """An uploaded file under its original name, as a download only, never rendered inline or
    cached (it went through an access check)."""
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=name,
                            content_type=content_type or "application/octet-stream")  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
