"""axe-core in the page, and screenshots at a desktop and a phone width, for any journey.

axe is evaluated through the DevTools protocol (Playwright's evaluate), which the page's
Content-Security-Policy does not govern: the portal's CSP stays exactly as it is served."""

import os
import re
from pathlib import Path

from playwright.sync_api import Page

AXE = (Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js").read_text()
WIDTHS = (1280, 390)
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(1, 2).join("")),
  }));
}"""


def violations(page: Page) -> list[dict]:
    """Serious and critical axe-core findings on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def check_page(page: Page, artifacts_dir: str, name: str) -> None:
    """No serious or critical axe finding at either width; a full-page screenshot of each kept."""
    found = {}
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_load_state("load")
        problems = violations(page)
        if problems:
            found[width] = problems
        page.screenshot(path=os.path.join(artifacts_dir, f"{slug(name)}-{width}.png"), full_page=True)
    page.set_viewport_size(original)
    assert not found, f"{name} ({page.url}): {found}"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
