import os

import pytest

from ..conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("CHIBO_SCREENSHOTS")  # a folder to keep screenshots in, if set


# What the migrations ship and the pages need; in the order they can be written back.
SHIPPED = ("rulebooks.Scorecard", "rulebooks.Criterion", "rulebooks.Rulebook",
           "meetings.MinutesTemplate", "meetings.TemplateSection")  # fmt: skip


@pytest.fixture(scope="session")
def shipped_data(django_db_setup, django_db_blocker) -> str:
    """The shipped rows as JSON, read before the browser starts."""
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        objects = [o for label in SHIPPED for o in apps.get_model(label).objects.order_by("pk")]
        return serializers.serialize("json", objects)


@pytest.fixture(scope="session")
def browser(shipped_data):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server, transactional_db, shipped_data):
    """open_page(username, width) → a Playwright page logged in through the login form. The
    live server needs a transactional database, emptied after each test; what the migrations
    ship (minutes templates, rulebooks, scorecards) is written back first. (Django's serialized
    rollback cannot do it here: Playwright's event loop gives the test another connection
    object than the one the contents were serialized on.)"""
    from django.core import serializers

    from chibo.meetings.models import MinutesTemplate

    if not MinutesTemplate.objects.exists():
        for obj in serializers.deserialize("json", shipped_data):
            obj.save()
    contexts = []
    refused = []  # what the Content-Security-Policy blocked, on any page of the test

    def make(username: str | None, *, width: int = 390, height: int = 844):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda msg: "Content Security Policy" in msg.text
                and refused.append(f"{page.url}: {msg.text}"))  # fmt: skip
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        return page

    yield make
    for context in contexts:
        context.close()
    assert not refused, "The Content-Security-Policy blocked:\n" + "\n".join(refused)


def assert_fits(page, name: str) -> None:
    """No horizontal scrolling of the whole page (tables scroll inside their card)."""
    page.wait_for_load_state()  # a click that navigates may still be loading the page
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{width}.png"), full_page=True)
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the screen"
