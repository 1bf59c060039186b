"""The README tells a platform which events to send each endpoint; the list must be what the
handlers take, so an event type added to HANDLERS without documenting it fails here."""

import re

from portal.settings import PROJECT_ROOT
from portal.webhooks.handlers import HANDLERS
from portal.webhooks.registration import CONNECT_EVENTS, PLATFORM_EVENTS, THIN_EVENTS


def _listed(between: str, and_: str) -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split(f"<!-- webhook events: {between} -->")[1].split(f"<!-- webhook events: {and_} -->")[0]
    return re.findall(r"`([a-z0-9_.\[\]]+)`", section)


def test_the_readme_lists_the_events_each_endpoint_needs():
    assert _listed("connect", "platform") == CONNECT_EVENTS
    assert _listed("platform", "end") == PLATFORM_EVENTS
    assert _listed("thin", "thin end") == THIN_EVENTS


def test_every_handled_event_reaches_us_through_an_endpoint():
    assert set(CONNECT_EVENTS) | set(PLATFORM_EVENTS) | set(THIN_EVENTS) == set(HANDLERS)
    # Disputes of destination charges arrive only on the platform endpoint.
    assert {kind for kind in HANDLERS if kind.startswith("charge.dispute.")} <= set(PLATFORM_EVENTS)
