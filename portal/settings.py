"""The only module that reads the environment: typed settings, secrets wrapped, sandbox defaults."""

import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Where the code is: templates and static files live beside it. State never does (see var_dir).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Stripe itself, the only place a production portal may send its Stripe calls.
STRIPE_HOSTS = ("stripe.com",)


class SettingsError(Exception):
    """A configuration the portal cannot start with; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", populate_by_name=True
    )

    environment: Literal["development", "production"] = Field("development", alias="PORTAL_ENV")
    # State (SQLite files, the sandbox's, a made-up signing key) goes under the folder the command
    # runs from, never inside the installed code (a checkout or site-packages).
    var_dir: Path = Field(default_factory=lambda: Path.cwd() / "var", alias="PORTAL_VAR_DIR")
    database_url: str = ""
    secret_key: SecretStr | None = None
    public_url: str = ""
    trusted_proxies: list[str] = Field(default_factory=list)
    # portal/logs.py: how much the portal and uvicorn say, as text or one JSON object a line.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # One line per request from uvicorn (uvicorn.access). A proxy or load balancer in front that
    # keeps its own access log makes these a second copy: ACCESS_LOG=false drops them.
    access_log: bool = True
    # Read only to refuse it: the Stripe SDK then prints request and response bodies to stderr itself.
    stripe_log: str = ""

    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str = ""
    # Stripe signs each endpoint's events with its own secret: the Connect endpoint's and the
    # platform endpoint's. STRIPE_WEBHOOK_SECRETS takes them comma-separated; the older single
    # STRIPE_WEBHOOK_SECRET still counts.
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_secrets: SecretStr | None = None
    # Where the SDK sends requests. Empty means Stripe itself in Stripe mode; in sandbox mode
    # `portal serve` points it at the sandbox it mounts under /sandbox on its own port.
    stripe_api_base: str = ""
    # Which Accounts API creates and changes connected accounts (README "Accounts v1 or v2"). Ids
    # are shared: accounts made under v1 keep working after a switch to v2.
    stripe_accounts_api: Literal["v1", "v2"] = "v1"
    # Accounts v2 sends thin events to an event destination, signed with its own secret(s).
    stripe_thin_webhook_secrets: SecretStr | None = None
    sandbox_embedded: bool = True
    sandbox_secret_key: str = "sk_test_sandbox"
    sandbox_verification_delay: float = 10.0
    # Seconds between reconciliation passes run inside `portal serve` in sandbox mode (one process,
    # no worker); Stripe mode runs them in `portal worker`. 0 turns it off.
    sandbox_sync_interval: float = 900.0
    # Where stored webhook events are applied: "web" (each web process applies what it received,
    # the default) or "worker" (web processes only verify and store; `portal worker` applies).
    # "worker" is for several processes over PostgreSQL.
    webhook_applier: Literal["web", "worker"] = "web"

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Seller Portal <no-reply@portal.localhost>"

    platform_name: str = "Seller Portal"
    # The language of a visitor whose browser asks for none the portal speaks (portal/i18n.py):
    # one of the shipped catalogues under portal/locale/ ("en", "en_GB", "de", "fr"...).
    default_locale: str = "en"
    # Where the platform itself is (its Stripe account's country), and which countries sellers
    # may pick when they start: comma-separated ISO codes, empty for every supported country.
    platform_country: str = "US"
    seller_countries: str = ""
    # The platform's own seller terms, linked beside Stripe's agreement at the end of onboarding;
    # without it, sellers accept Stripe's agreement only.
    seller_terms_url: str = ""
    rate_limit_storage: str = "memory://"
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_seconds: int = 900
    confirm_link_max_age: int = 48 * 3600
    reset_link_max_age: int = 3600
    session_max_age: int = 14 * 24 * 3600
    # Account-takeover defences (portal/security): two factors for everyone at once, not only
    # sellers with a connected account; how recent a re-authentication must be; the cooling-off hold.
    two_factor_for_all: bool = False
    reauth_max_age: int = 600
    cooling_off_hours: int = 72
    # Staff single sign-on (OpenID Connect, portal/staff/auth.py). The discovery URL is the issuer's
    # /.well-known/openid-configuration. Without it, sandbox mode offers a development-only sign-in.
    staff_oidc_discovery_url: str = ""
    staff_oidc_client_id: str = ""
    staff_oidc_client_secret: SecretStr | None = None
    staff_oidc_scope: str = "openid email profile"
    staff_oidc_roles_claim: str = "roles"
    staff_session_idle_seconds: int = 30 * 60
    staff_session_max_age: int = 12 * 3600
    view_as_minutes: int = 30
    # Staff moving money (portal/funds): a movement of this many cents or more waits for a second
    # staff member's approval before it runs.
    money_approval_threshold: int = 50_000
    # How long a closed seller's records are kept (accounts closed at the seller's request, and
    # rejected ones) before `portal sync` erases their personal data. Financial records: 7 years.
    closed_account_retention_days: int = 7 * 365
    # Operators (portal/operations): the bearer token Prometheus sends for /metrics (no token, no
    # page); the folder where each of several processes writes its metrics (read by
    # prometheus-client itself too; `portal serve --workers N` makes one under var/ when unset); traces
    # go to an OTLP collector only when its address is set (the exporter reads the other OTEL_*);
    # /readyz fails when the oldest unsent mail is older than this many seconds.
    metrics_token: SecretStr | None = None
    prometheus_multiproc_dir: str = ""
    otel_exporter_otlp_endpoint: str = ""
    ready_outbox_max_age: int = 900
    max_form_bytes: int = 1_000_000
    max_upload_bytes: int = 10_000_000

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value):
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _known_countries(self):
        from portal import countries  # settings load before anything else; this is data only

        self.platform_country = self.platform_country.strip().upper()
        unknown = [code.strip() for code in self.seller_countries.split(",")
                   if code.strip() and not countries.supported(code.strip())]
        if unknown or not countries.supported(self.platform_country):
            supported = ", ".join(countries.COUNTRIES)
            raise SettingsError(f"PLATFORM_COUNTRY and SELLER_COUNTRIES take supported countries ({supported}); "
                                f"not {', '.join(unknown) or self.platform_country}")
        refused = [code.strip().upper() for code in self.seller_countries.split(",")
                   if code.strip() and countries.terms_for(self.platform_country, code.strip()) is None]
        if refused:
            raise SettingsError(f"SELLER_COUNTRIES: Stripe doesn't let a platform in {self.platform_country} onboard "
                                f"sellers in {', '.join(refused)} (see the README's cross-border table)")
        return self

    @model_validator(mode="after")
    def _known_locale(self):
        from portal import i18n  # data only, like the countries above

        if not i18n.is_shipped(self.default_locale):
            raise SettingsError(f"DEFAULT_LOCALE takes a shipped language ({', '.join(i18n.shipped_locales())}); "
                                f"not {self.default_locale}")
        return self

    @model_validator(mode="after")
    def _fill_sandbox_defaults(self):
        self.var_dir = self.var_dir.absolute()  # a later chdir must not move the state
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'portal.db'}"
        return self

    @property
    def sandbox_mode(self) -> bool:
        return self.stripe_secret_key is None

    @property
    def portal_url(self) -> str:
        """Where sellers reach the portal, for links in mail: PUBLIC_URL, else the address
        `portal serve` gave the sandbox it mounts, else the default local address."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.stripe_api_base.rstrip("/").endswith("/sandbox"):
            return self.stripe_api_base.rstrip("/").removesuffix("/sandbox")
        return "http://127.0.0.1:8000"

    @property
    def stripe_test_mode(self) -> bool:
        """Stripe's test values (SSN 000000000, phone 0000000000...) are accepted only here."""
        return self.sandbox_mode or self.stripe_secret_key.get_secret_value().startswith(("sk_test_", "rk_test_"))

    def stripe_key(self) -> str:
        return self.sandbox_secret_key if self.sandbox_mode else self.stripe_secret_key.get_secret_value()

    def thin_webhook_secrets(self) -> list[str]:
        given = self.stripe_thin_webhook_secrets.get_secret_value() if self.stripe_thin_webhook_secrets else ""
        return [secret.strip() for secret in given.split(",") if secret.strip()]

    def webhook_secrets(self) -> list[str]:
        given = [self.stripe_webhook_secret, self.stripe_webhook_secrets]
        return [part.strip() for value in given if value for part in value.get_secret_value().split(",") if part.strip()]

    @property
    def staff_sso_configured(self) -> bool:
        return bool(self.staff_oidc_discovery_url and self.staff_oidc_client_id)

    @property
    def staff_dev_sign_in(self) -> bool:
        """Pick a staff member without a provider: sandbox mode only, never beside Stripe nor in production."""
        return self.sandbox_mode and not self.staff_sso_configured and not self.production

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.production

    def check(self) -> None:
        """Fail at start-up, with every missing setting named, rather than on first use. Production
        always talks to Stripe: without its keys it would fall back to sandbox mode, whose
        development sign-in, mail outbox and offline Stripe must never be served there."""
        if self.stripe_log:
            raise SettingsError("STRIPE_LOG makes the Stripe SDK print request bodies (SSNs, account numbers) "
                                "around the portal's logs; unset it and use LOG_LEVEL")
        if self.webhook_applier == "worker" and (self.sandbox_mode or self.database_url.startswith("sqlite")):
            raise SettingsError("WEBHOOK_APPLIER=worker is for Stripe mode over PostgreSQL, with `portal worker` running: "
                                "one process (sandbox mode, SQLite) applies the events it receives itself")
        if self.sandbox_mode and not self.production:
            return
        missing = [
            name
            for name, value in [
                ("STRIPE_SECRET_KEY", self.stripe_secret_key),
                ("STRIPE_PUBLISHABLE_KEY", self.stripe_publishable_key),
                ("STRIPE_WEBHOOK_SECRETS (or STRIPE_WEBHOOK_SECRET)", self.webhook_secrets()),
                ("SECRET_KEY", self.secret_key),
                ("PUBLIC_URL", self.public_url),
                # Accounts v2 tells of account changes only through thin events.
                *([("STRIPE_THIN_WEBHOOK_SECRETS", self.thin_webhook_secrets())] if self.stripe_accounts_api == "v2" else []),
            ]
            if not value
        ]
        if missing:
            needs = "PORTAL_ENV=production runs on Stripe, never the sandbox, and needs" if self.production \
                else "Stripe mode (STRIPE_SECRET_KEY is set) also needs"
            raise SettingsError(f"{needs}: " + ", ".join(missing))
        key = self.stripe_secret_key.get_secret_value()
        if not key.startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_")):
            raise SettingsError("STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_... or sk_live_...)")
        if not self.production and key.startswith(("sk_live_", "rk_live_")):
            raise SettingsError("A live Stripe key needs PORTAL_ENV=production (secure cookies)")
        if self.production and key == self.sandbox_secret_key:
            raise SettingsError("STRIPE_SECRET_KEY is the offline sandbox's key; production needs a key from Stripe's dashboard")
        if self.production and self.stripe_api_base and not talks_to_stripe(self.stripe_api_base):
            raise SettingsError(f"PORTAL_ENV=production sends Stripe calls to Stripe only; unset STRIPE_API_BASE "
                                f"(it is {self.stripe_api_base})")

    def signing_key(self) -> str:
        """The key for sessions and links; in sandbox mode one is made once and kept under var/."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def talks_to_stripe(api_base: str) -> bool:
    """An https address on Stripe's own domain (a sandbox, a mock or a plain-http proxy is not)."""
    address = urlsplit(api_base)
    host = (address.hostname or "").lower()
    return address.scheme == "https" and any(host == name or host.endswith("." + name) for name in STRIPE_HOSTS)


def load_settings(**overrides) -> Settings:
    settings = Settings(**overrides)
    settings.check()
    return settings
