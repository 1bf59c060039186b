"""Stripe ids on a page as Stripe spells them (issue 21): every element whose own text holds an id
is checked in the browser for what CSS does to it (capitals, spacing, the face)."""

from playwright.sync_api import Page

ID_ELEMENTS = r"""() => {
  const id = /\b(acct|person|po|tr|ch|py|du|re|pi|req|file)_[A-Za-z0-9]{6,}/;
  return [...document.querySelectorAll("body *")]
    .filter(el => [...el.childNodes].some(node => node.nodeType === Node.TEXT_NODE && id.test(node.textContent)))
    .map(el => {
      const style = getComputedStyle(el);
      return {tag: el.tagName.toLowerCase(), text: el.textContent.trim().slice(0, 80), transform: style.textTransform,
              variant: style.fontVariantCaps, monospace: /mono/i.test(style.fontFamily)};
    });
}"""


def check_ids(page: Page, expected: str) -> list[dict]:
    """Every element showing an id: no capitals or small caps from CSS, a monospace face; and the id
    `expected` shows on the page exactly as Stripe spells it."""
    shown = page.evaluate(ID_ELEMENTS)
    assert shown, "no Stripe id on the page"
    restyled = [item for item in shown if item["transform"] != "none" or item["variant"] != "normal" or not item["monospace"]]
    assert restyled == [], restyled
    assert any(expected in item["text"] for item in shown), (expected, shown)
    return shown
