"""The one door to the company's identity provider: OpenID Connect through authlib's Starlette client.

Authorization code flow with PKCE (S256); authlib keeps state, nonce and the code verifier in the
portal's session cookie between the redirect and the callback, checks state and nonce, and
verifies the ID token's signature against the provider's published keys (JWKS)."""

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from portal.settings import Settings

PROVIDER = "staff"


def make_identity_client(settings: Settings) -> StarletteOAuth2App | None:
    if not settings.staff_sso_configured:
        return None
    oauth = OAuth()
    secret = settings.staff_oidc_client_secret
    return oauth.register(
        name=PROVIDER,
        server_metadata_url=settings.staff_oidc_discovery_url,
        client_id=settings.staff_oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        client_kwargs={"scope": settings.staff_oidc_scope, "code_challenge_method": "S256"},
    )


async def end_session_url(client: StarletteOAuth2App, *, id_token_hint: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to sign out at the provider too, or None when it offers no such endpoint."""
    metadata = await client.load_server_metadata()
    if not metadata.get("end_session_endpoint"):
        return None
    result = await client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token_hint or None,
        client_id=client.client_id,
    )
    return result["url"]
