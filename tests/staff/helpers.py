"""A seller onboarded through the portal against the sandbox, and a staff browser beside it."""

from sqlmodel import select
from starlette.testclient import TestClient

from portal.accounts.models import Seller
from portal.audit import AuditEvent
from portal.connect.mirror import account_for_seller
from tests.onboarding.flows import onboard_individual


def seller_id(client, email: str) -> int:
    with client.app.state.db.transaction() as session:
        return session.exec(select(Seller).where(Seller.email == email)).one().id


def staff_browser(client) -> TestClient:
    """Another browser on the same running portal (its own cookies), as a staff member's would be."""
    return TestClient(client.app, base_url="http://testserver", client=("198.51.100.4", 50000))


def onboarded_seller(client, inbox, email: str = "ann@annsbakery.com") -> int:
    onboard_individual(client, inbox, email)
    return seller_id(client, email)


def trail(client, seller: int) -> list[tuple[str, str]]:
    """(action, actor email) oldest first."""
    with client.app.state.db.transaction() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.seller_id == seller).order_by(AuditEvent.id)).all()
    return [(event.action, event.actor_email) for event in events]


def schedule(client, seller: int) -> dict:
    snapshot = account_for_seller(client.app.state.db, seller).snapshot
    return snapshot["settings"]["payouts"]["schedule"]
