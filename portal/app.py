"""create_app(settings) -> the portal: one list of routes, one per package, top to bottom."""

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from portal import home
from portal.accounts import routes as accounts
from portal.accounts import sessions_seen
from portal.accounts.gate import SellerGate
from portal.accounts.throttle import Throttle
from portal.connect import leaving
from portal.fragments import Kept
from portal.kept_pages import SELLERS_SEEN, KeptPages
from portal.connect import routes as connect
from portal.connect.notify import tell_seller_about_new_requirements
from portal.connect.sync import scheduled_pass
from portal import logs
from portal.db import Database
from portal.i18n import LocaleMiddleware
from portal.dev import routes as dev
from portal.integrations.identity import make_identity_client
from portal.integrations.mail import Mailer
from portal.money import routes as money
from portal.money.components import connect_js, connect_js_sources
from portal.onboarding import routes as onboarding
from portal.operations import routes as operations
from portal.operations import collector, tracing
from portal.security import routes as security
from portal.security import staff_routes as staff_security
from portal.staff import alerts
from portal.staff import routes as staff
from portal.staff.view_as import ReadOnlyWhileViewing
from portal.integrations.stripe import StripeGateway, StripeGatewayV2
from portal.sandbox.app import create_sandbox
from portal.sandbox.config import SandboxConfig
from portal.route_table import MachineRoutes, RememberingRouter
from portal.settings import PROJECT_ROOT, Settings, load_settings
from portal.web import RequestGuard, SecurityHeaders, http_exception, make_templates, server_error
from portal.webhooks import endpoint as webhooks
from portal.webhooks import registration
from portal.webhooks.applier import Applier
from portal.webhooks.queue import GroupCommit
from portal.webhooks.handlers import Context

log = logging.getLogger(__name__)

# Route areas answered for machines, never people: no session, language, CSRF token or seller gate.
MACHINE_AREAS = ("webhooks", "healthz", "readyz", "metrics")

# Our own origin only; content_security_policy() adds what this mode's Connect.js needs.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"], "frame-src": ["'self'"], "frame-ancestors": ["'none'"], "form-action": ["'self'"],
    "base-uri": ["'none'"], "object-src": ["'none'"],
}


def content_security_policy(settings: Settings) -> str:
    extra = connect_js_sources(connect_js(settings).url)
    return "; ".join(
        " ".join([directive, *sources, *extra.get(directive, [])]) for directive, sources in CONTENT_SECURITY_POLICY.items()
    )


def create_app(settings: Settings, *, span_exporter=None) -> Starlette:
    """`span_exporter` (tests) receives the app's traces as OTEL_EXPORTER_OTLP_ENDPOINT's collector would."""
    # Among others, production never runs in sandbox mode: nothing below the `if` is ever mounted there.
    settings.check()
    db = Database(settings.database_url)
    mailer = Mailer(db, settings)

    routes = [
        *home.routes,
        *operations.routes,
        Mount("/account/security", routes=security.routes, name="security"),
        Mount("/account/close", routes=leaving.routes, name="leaving"),
        Mount("/account", routes=accounts.routes, name="accounts"),
        Mount("/onboarding", routes=onboarding.routes, name="onboarding"),
        Mount("/status", routes=connect.routes, name="connect"),
        Mount("/webhooks", routes=webhooks.routes, name="webhooks"),
        Mount("/staff/security", routes=staff_security.routes, name="staff_security"),
        Mount("/staff", routes=[*(dev.staff_routes_for(settings) if settings.sandbox_mode else []), *staff.routes],
              name="staff"),
        *money.routes,
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
    ]
    sandbox = None
    if settings.sandbox_mode:
        routes.append(Mount("/dev", routes=dev.routes_for(settings), name="dev"))
        # The offline Stripe lives in this process, with its own database beside ours, unless
        # SANDBOX_EMBEDDED=false says STRIPE_API_BASE names one running elsewhere.
        if settings.sandbox_embedded:
            sandbox = create_sandbox(SandboxConfig(
                db_path=str(settings.var_dir / "sandbox.sqlite3"),
                secret_keys=(settings.sandbox_secret_key,),
                verification_delay=settings.sandbox_verification_delay,
                platform_country=settings.platform_country,
            ))
            routes.append(Mount("/sandbox", app=sandbox.asgi, name="sandbox"))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        background = []
        if sandbox is not None:
            sandbox.start()
            portal_url = settings.stripe_api_base.rstrip("/").removesuffix("/sandbox")
            background.append(asyncio.create_task(registration.register(
                app.state.stripe, portal_url + "/webhooks/stripe", app.state.sandbox_webhook_secrets,
                thin_url=portal_url + "/webhooks/stripe-thin", thin_secrets=app.state.sandbox_thin_secrets,
            )))
            if settings.sandbox_sync_interval > 0:
                background.append(asyncio.create_task(keep_in_sync(app.state, settings.sandbox_sync_interval)))
        if not db.reads_on_the_loop:  # PostgreSQL: the gate keeps sessions while it hears of their changes
            background.append(asyncio.create_task(sessions_seen.listen(db.driver_url(), app.state.sessions_seen)))
        mailer.start()
        mailer.wake()
        if settings.webhook_applier == "web":
            app.state.applier.start()  # applies at once whatever an earlier run stored but did not apply
        yield
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await app.state.applier.stop()
        await mailer.stop()
        if sandbox is not None:
            sandbox.stop()
        if tracer_provider is not None:
            tracer_provider.shutdown()  # sends the spans still batched
        await db.close_reads()
        db.dispose()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders, content_security_policy=content_security_policy(settings), hsts=settings.secure_cookies,
                       cacheable=("/static/", "/sandbox/")),
            # Stripe's webhooks and the operators' probes need none of what follows (route_table.py).
            Middleware(MachineRoutes, areas=MACHINE_AREAS),
            # The request's language (portal/i18n.py): the picked one, the browser's, or DEFAULT_LOCALE;
            # the signed-in seller's saved choice goes over it once the gate knows the seller.
            Middleware(LocaleMiddleware, default=settings.default_locale),
            Middleware(
                SessionMiddleware,
                secret_key=settings.signing_key(),
                session_cookie="portal_session",
                max_age=settings.session_max_age,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
            Middleware(
                RequestGuard,
                max_form_bytes=settings.max_form_bytes,
                max_upload_bytes=settings.max_upload_bytes,
                exempt=("/webhooks/", "/sandbox/"),
            ),
            # While a staff member views as a seller, no seller page may change anything.
            Middleware(ReadOnlyWhileViewing),
            # Every seller route, JSON ones too, answers only a fully signed-in seller (accounts/gate.py).
            Middleware(SellerGate),
        ],
        exception_handlers={HTTPException: http_exception, Exception: server_error},
        lifespan=lifespan,
    )
    app.router = RememberingRouter(routes, lifespan=lifespan)
    tracer_provider = tracing.tracer_provider(settings, app, exporter=span_exporter)
    app.state.tracer_provider = tracer_provider
    app.state.settings = settings
    app.state.db = db
    app.state.secret = settings.signing_key()
    app.state.templates = make_templates(auto_reload=settings.environment == "development")
    app.state.kept_pages = KeptPages()
    app.state.sellers_seen = Kept(SELLERS_SEEN)
    app.state.sessions_seen = sessions_seen.SessionsSeen()
    db.after_commit.append(app.state.sessions_seen.forget_all)
    app.state.paths = {}  # route name and parameters -> path (web.path_for)
    app.state.throttle = Throttle(settings.rate_limit_storage)
    app.state.mailer = mailer
    app.state.sandbox = sandbox
    app.state.connect_js = connect_js(settings)
    app.state.identity = make_identity_client(settings)
    gateway = StripeGatewayV2 if settings.stripe_accounts_api == "v2" else StripeGateway
    app.state.stripe = gateway(settings.stripe_key(), api_base=settings.stripe_api_base or None,
                               tracer=tracer_provider.get_tracer("portal.integrations.stripe") if tracer_provider else None)
    app.state.sandbox_webhook_secrets = []
    app.state.sandbox_thin_secrets = []
    app.state.thin_webhook_secrets = lambda: settings.thin_webhook_secrets() + app.state.sandbox_thin_secrets
    app.state.webhook_secrets = lambda: settings.webhook_secrets() + app.state.sandbox_webhook_secrets

    async def after_account_change(seller_id: int) -> None:
        await tell_seller_about_new_requirements(app.state, seller_id, settings.portal_url + "/status/")

    async def after_risk_change(account_id: str, lines: tuple[str, ...]) -> None:
        if await run_in_threadpool(alerts.check_seller, db, account_id, lines, console_url=settings.portal_url):
            mailer.wake()  # the alert's mail goes now, not at the outbox's next retry

    app.state.webhook_context = Context(db=db, gateway=app.state.stripe, after_account_change=after_account_change,
                                        after_risk_change=after_risk_change)
    app.state.applier = Applier(db, app.state.webhook_context)
    app.state.recorder = GroupCommit(db, app.state.applier)
    return app


async def keep_in_sync(state, interval: float) -> None:
    """What `portal worker` does, for the one-process sandbox mode: reconcile on a schedule."""
    while True:
        await asyncio.sleep(interval)
        try:
            await scheduled_pass(state)
        except Exception:  # the next pass tries again; a failed pass must not end the loop
            log.exception("scheduled sync failed")


def app_from_environment() -> Starlette:
    """The factory `portal serve` hands to uvicorn (each worker process builds its own app, and its
    logging, which learns from the route table which path segments are link tokens), with the
    garbage collector set for a server (operations/collector.py)."""
    settings = load_settings()
    app = create_app(settings)
    logs.configure(settings, app.routes)
    collector.settle()
    return app
