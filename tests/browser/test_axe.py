"""The accessibility check itself catches what it is there to catch."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import axe


def test_an_unlabelled_input_and_faint_text_fail_the_check(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )

    with pytest.raises(AssertionError) as failed:
        axe.check(page)

    assert "label" in str(failed.value)
    assert "color-contrast" in str(failed.value)
    page.close()
