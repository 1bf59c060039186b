"""Page snapshots: a fixed set of pages (status, payouts, dashboard, settings, security; sellers
from the US, GB, JP, DE and FR, in English, German, French, Japanese; one not yet set up, one
without an account, one verified, a focus, a flash, signed-out pages) rendered into a folder, each
twice, so a change meant to keep pages the same can be diffed before and after:

    .venv/bin/python -m tests.benchmarks.page_snapshots /tmp/before   # on the commit before
    .venv/bin/python -m tests.benchmarks.page_snapshots /tmp/after
    diff -r /tmp/before /tmp/after

Seeded sessions carry fixed CSRF tokens; signed-out pages get fresh ones, and the security page
shows the clock time of the sign-in, so those lines differ from run to run."""

import asyncio
import base64
import json
import os
import sys
import tempfile
from pathlib import Path

import itsdangerous

from tests.benchmarks import pages_and_webhooks as bench
import tests.benchmarks.cpu_per_request as cpu
from portal.accounts import service
from portal.accounts.auth import TWO_STEP_ON_KEY
from portal.accounts.models import Seller
from portal.accounts.passwords import hash_password
from portal.connect import mirror
from portal.db import Database, utcnow
from portal.onboarding.models import BusinessEmail
from portal.security import codes
from portal.security.models import TwoFactor



def us(n: int) -> dict:
    return bench.account_snapshot(f"acct_us{n:03d}", n)


def gb(n: int) -> dict:
    """A British company: a person by id, one due requirement past due, an error, deadlines, a check under way."""
    account = bench.account_snapshot(f"acct_gb{n:03d}", n)
    account.update(country="GB", default_currency="gbp", business_type="company")
    due = ["company.tax_id", "company.address.line1", "company.address.postal_code", "person_1Abc.verification.document",
           "person_1Abc.dob.day", "representative.first_name", "external_account", "business_profile.url"]
    account["requirements"].update(
        currently_due=due, eventually_due=due + ["company.verification.document"], past_due=["company.tax_id"],
        current_deadline=1_800_000_000, pending_verification=["person_1Abc.id_number"],
        errors=[{"requirement": "person_1Abc.verification.document", "code": "verification_document_expired",
                 "reason": "The document <b>expired</b> & can't be used."}])
    account["future_requirements"].update(eventually_due=["company.verification.document"], current_deadline=1_900_000_000)
    return account


def jp(n: int) -> dict:
    account = bench.account_snapshot(f"acct_jp{n:03d}", n)
    account.update(country="JP", default_currency="jpy", business_type="individual")
    due = ["individual.first_name_kana", "individual.last_name_kanji", "individual.address_kana.line1",
           "individual.address_kanji.state", "individual.verification.document", "individual.phone", "external_account",
           "business_profile.url"]
    account["requirements"].update(currently_due=due, eventually_due=due)
    return account


def de(n: int) -> dict:
    account = bench.account_snapshot(f"acct_de{n:03d}", n)
    account.update(country="DE", default_currency="eur")
    return account


def verified(n: int) -> dict:
    account = bench.account_snapshot(f"acct_ok{n:03d}", n)
    account["requirements"].update(currently_due=[], eventually_due=[], past_due=[], disabled_reason=None)
    account.update(charges_enabled=True, payouts_enabled=True)
    return account


def setting_up(n: int) -> dict:
    account = bench.account_snapshot(f"acct_su{n:03d}", n)
    account.update(details_submitted=False, tos_acceptance={"date": None, "ip": None, "user_agent": None})
    return account


SELLERS = [  # name, account snapshot, saved language, business email confirmed
    ("us", us, None, True), ("us_de_saved", us, "de", True), ("gb", gb, "en_GB", True), ("gb_en", gb, None, True),
    ("jp", jp, "ja", True), ("de", de, "de", True), ("fr", us, "fr", True), ("unconfirmed", us, None, False),
    ("verified", verified, None, True), ("setting_up", setting_up, None, True), ("noaccount", None, None, True),
]
SELLER_PAGES = [  # file name, path, query, extra headers, extra cookie
    ("status", "/status/", "", [], ""), ("payouts", "/payouts", "", [], ""),
    ("status_focus", "/status/", "requirement=individual.dob.day", [], ""),
    ("status_de_browser", "/status/", "", [(b"accept-language", b"de-DE,de;q=0.9")], ""),
    ("status_ja_cookie", "/status/", "", [], "; portal_locale=ja"),
    ("dashboard", "/dashboard", "", [], ""), ("security", "/account/security/", "", [], ""), ("settings", "/settings", "", [], ""),
]
SIGNED_OUT_PAGES = [  # file name, path, query, headers
    ("login", "/account/login", "", []), ("signup_fr", "/account/signup", "", [(b"accept-language", b"fr")]),
    ("index_ja", "/", "", [(b"cookie", b"portal_locale=ja")]),
    ("login_q", "/account/login", "next=/status/%3Fa%3D%22x%22&b=<i>", []),
]


def seed(url: str) -> dict[str, str]:
    """The sellers, each signed in with two-step sign-in; their session cookies by name."""
    db = Database(url)
    db.migrate()
    signer = itsdangerous.TimestampSigner(bench.SECRET_KEY)
    cookies = {}
    password_hash = hash_password(bench.PASSWORD)
    for number, (name, make, locale, confirmed) in enumerate(SELLERS):
        with db.transaction() as session:
            seller = Seller(email=f"{name}@bench.example", password_hash=password_hash, email_confirmed_at=utcnow(), locale=locale)
            session.add(seller)
            session.flush()
            session.add(BusinessEmail(seller_id=seller.id, email=f"owner@{name}.example", confirmed_at=utcnow() if confirmed else None))
            session.add(TwoFactor(seller_id=seller.id, sealed_secret=codes.seal(codes.new_secret(), bench.SECRET_KEY),
                                  confirmed_at=utcnow()))
            seller_id = seller.id
        if make:
            mirror.record_account(db, seller_id, make(number), as_of=1)
        data = {"sid": service.open_session(db, seller_id, "127.0.0.1", "snapshots"), "_csrf": f"csrf-{name}-token",
                TWO_STEP_ON_KEY: True}
        if name == "us":
            data["_flashes"] = [["success", "Saved <ok> & done"]]
        cookies[name] = signer.sign(base64.b64encode(json.dumps(data).encode())).decode()
    db.dispose()
    return cookies


async def get(app, path: str, query: str, headers: list) -> tuple[int, bytes]:
    async def with_query(scope, receive, send):  # cpu_per_request.call sends none
        scope["query_string"] = query.encode()
        await app(scope, receive, send)

    return await cpu.call(with_query, "GET", path, headers)


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as var:
        url = f"sqlite:///{var}/portal.db"
        cookies = seed(url)
        os.environ.update(bench.portal_env(url))
        from portal.app import app_from_environment

        app = app_from_environment()
        out.mkdir(parents=True, exist_ok=True)
        async with app.router.lifespan_context(app):
            for round_ in range(2):  # twice: what a page keeps must give the same page the second time
                for label, path, query, headers in SIGNED_OUT_PAGES:
                    status, body = await get(app, path, query, headers)
                    (out / f"anon.{label}.{round_}.html").write_bytes(f"{status}\n".encode() + body)
                for name, *_ in SELLERS:
                    for label, path, query, headers, cookie in SELLER_PAGES:
                        cookie_header = (b"cookie", f"portal_session={cookies[name]}{cookie}".encode())
                        status, body = await get(app, path, query, [cookie_header, *headers])
                        (out / f"{name}.{label}.{round_}.html").write_bytes(f"{status}\n".encode() + body)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
