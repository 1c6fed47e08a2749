"""Content-Security-Policy: every page forbids inline script and style, and no page needs them.

The header alone would let a page silently break in the browser, so each role's pages are
crawled (every same-site link reachable from the home pages, with a finalised and a recorded
meeting in the tree) and each page's HTML is checked for what the policy would block: a
script without src, an event-handler attribute (onclick=…), a style attribute or element.
The browser tests add the other half: they fail on any CSP violation Chromium reports.
"""

from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from ..documents.test_documents import pdf
from ..followup.conftest import NOVEMBER, OCTOBER, finalise, recorded

SKIP = ("/accounts/logout", "/static/", "/media/", "/i18n/")
DOWNLOADS = (".pdf", ".docx", ".xlsx", "/file", "/export")
MAX_PAGES = 150


class InlineCode(HTMLParser):
    """Collects links and whatever a strict CSP would block."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.blocked: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.blocked.append("<script> without src")
        if tag == "style":
            self.blocked.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=…>")
            elif name == "style":
                self.blocked.append(f"<{tag} style={value!r}>")
            elif name in {"href", "src", "action"} and (value or "").startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:…>")


def crawl(client, starts):
    seen, queue, pages = set(), list(starts), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = InlineCode()
        parser.feed(response.content.decode())
        pages[url] = (response, parser.blocked)
        for href in parser.links:
            link = urldefrag(href).url
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if link.startswith(SKIP) or parts.path.endswith(DOWNLOADS):
                continue
            queue.append(link)
    return pages


@pytest.fixture
def meetings(world):
    finalise(world, recorded(world, OCTOBER))
    return recorded(world, NOVEMBER)


@pytest.mark.parametrize("role", ["member_a", "secretary_a", "officer_c1", "admin_p"])
def test_pages_need_no_inline_script_or_style(client_as, meetings, role):
    pages = crawl(client_as(role), ["/", "/me/", f"/meetings/{meetings.pk}/"])
    assert len(pages) > 15  # the crawl reached the application, not only the home page
    problems = {url: blocked for url, (_response, blocked) in pages.items() if blocked}
    assert not problems, problems
    for url, (response, _blocked) in pages.items():
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy, url
        assert "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url


def test_login_and_error_pages_carry_the_policy(client):
    for url in ["/accounts/login/", "/no-such-page/"]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "object-src 'none'" in policy
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert not parser.blocked, (url, parser.blocked)


def test_the_parser_sees_what_the_policy_blocks():
    parser = InlineCode()
    parser.feed(
        '<script>alert(1)</script><script type="application/json">{}</script>'
        '<script src="/static/x.js"></script><button onclick="x()">'
        '<div style="width: 3%"><a href="javascript:void(0)">'
    )
    assert parser.blocked == [
        "<script> without src", "<button onclick=…>", "<div style='width: 3%'>",
        "<a href=javascript:…>",
    ]  # fmt: skip


def test_stored_file_downloads_keep_their_own_sandbox_policy(world, client_as, settings, tmp_path):
    from chibo.documents import services

    settings.MEDIA_ROOT = tmp_path
    document = services.document_publish(
        unit=world.c1, by=world.users["officer_c1"], kind="directive", title="Chỉ thị",
        confidentiality="normal", file=pdf(),
    )  # fmt: skip
    response = client_as("member_a").get(f"/documents/{document.pk}/file")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
