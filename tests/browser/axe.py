"""Accessibility in the real browser: axe-core's WCAG 2 A and AA rules, contrast included."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def check(page: Page) -> None:
    """Fail the test with every WCAG 2 A/AA violation axe-core finds on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (it installs axe-core from the npm registry)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            return result.violations.map(v => ({
                id: v.id,
                help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary),
            }));
        }"""
    )
    assert not found, "accessibility violations:\n" + "\n".join(
        f"- {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )
