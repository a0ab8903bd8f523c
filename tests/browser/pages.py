"""What the browser tests share: a fresh page at a size, and the phone-width check."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def open_page(browser: Browser, size: dict[str, int] | None = None) -> Page:
    """Return a page in a new context (its own cookies) at ``size``, in a Chinese-speaking browser."""
    context = browser.new_context(viewport=size or DESKTOP, locale="zh-CN")
    return context.new_page()


def no_sideways_scroll(page: Page) -> None:
    """Fail unless the page fits its viewport's width: nothing to scroll sideways on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
