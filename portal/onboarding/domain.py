"""Is the seller's business email on the business's own domain?

Stripe advises confirming that a seller's email is on their business's domain (by writing to
it and requiring an answer). This module decides only whether the address *could* be: its
registrable domain (the public suffix list, bundled with `publicsuffixlist`, so it works
offline) must be the website's registrable domain or below it. Free-mail and disposable
providers are flagged: anyone can open an address there.

Websites on a hosting platform's subdomain (`myshop.myshopify.com`, `x.github.io`,
`shop.wixsite.com`) are registrable domains of their own: the PSL lists the platforms'
domains in its private section precisely so that one customer's site is not treated as the
same site as another's. We use the whole list, private section included. So the website's
domain is `myshop.myshopify.com`, an email at `myshopify.com` does not match it (that domain
is the platform's, not the seller's), and we tell the seller to use a domain of their own.
"""

from portal.i18n import gettext as _
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import idna
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList

# Registrable domains of the big free-mail providers. Not exhaustive: the aim is to catch
# the addresses sellers actually type, not to list every webmail in the world.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com",
    "outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
    "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it", "hotmail.es", "live.co.uk",
    "live.fr", "live.de", "live.it", "live.nl", "live.ca", "live.com.au", "outlook.fr",
    "outlook.de", "outlook.es", "outlook.jp",
    "yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
    "yahoo.it", "yahoo.es", "yahoo.ca", "yahoo.com.au", "yahoo.co.jp", "yahoo.co.in",
    "yahoo.com.br", "yahoo.com.mx",
    "icloud.com", "me.com", "mac.com",
    "aol.com", "aim.com", "verizon.net",
    "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
    "gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.us", "web.de",
    "yandex.com", "yandex.ru", "ya.ru",
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru",
    "zoho.com", "zohomail.com",
    "tutanota.com", "tutanota.de", "tuta.io", "tuta.com",
    "fastmail.com", "fastmail.fm", "hey.com", "mail.com", "email.com", "usa.com",
    "hushmail.com", "mailfence.com", "posteo.de", "runbox.com",
    "qq.com", "163.com", "126.com", "sina.com", "yeah.net",
    "naver.com", "daum.net", "hanmail.net", "rediffmail.com",
    "comcast.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net",
    "earthlink.net", "optonline.net", "juno.com",
    "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net",
    "orange.fr", "wanadoo.fr", "laposte.net", "free.fr", "sfr.fr",
    "t-online.de", "freenet.de", "libero.it", "virgilio.it", "seznam.cz",
    "wp.pl", "o2.pl", "interia.pl", "onet.pl",
    "uol.com.br", "bol.com.br", "terra.com.br",
})


@dataclass(frozen=True)
class Assessment:
    email_domain: str | None  # the address's domain, Unicode, lower case
    registrable_domain: str | None  # the email domain's registrable domain
    website_domain: str | None  # the website's registrable domain
    on_business_domain: bool
    free_mail: bool
    disposable: bool
    problems: list[str] = field(default_factory=list)  # sentences for the seller

    @property
    def acceptable(self) -> bool:
        return not self.problems


@cache
def _suffix_list() -> PublicSuffixList:
    # Parsing the bundled list takes ~60 ms: once per process, and not at import.
    return PublicSuffixList(accept_unknown=False)


@cache
def _icann_suffix_list() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False, only_icann=True)


def to_ascii(domain: str) -> str | None:
    """The A-label (punycode) form of a domain in lower case, without a trailing dot or
    `www.`; None if it is not a valid domain name."""
    domain = domain.strip().rstrip(".").lower()
    if not domain or domain.startswith("."):
        return None
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return ascii_domain.removeprefix("www.")


def to_unicode(ascii_domain: str) -> str:
    try:
        return idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError, ValueError):
        return ascii_domain


def registrable_domain(domain: str) -> str | None:
    """`shop.example.co.uk` -> `example.co.uk` (A-labels); None for a bare public suffix,
    an unknown top-level domain, an IP address or anything else that is not a domain.
    A platform's own domain (`myshopify.com`, itself a private-section suffix) is its own
    registrable domain under the ICANN rules."""
    ascii_domain = to_ascii(domain)
    if not ascii_domain or "." not in ascii_domain or ascii_domain.replace(".", "").isdigit():
        return None
    return _suffix_list().privatesuffix(ascii_domain) or _icann_suffix_list().privatesuffix(ascii_domain)


def on_platform_subdomain(domain: str) -> bool:
    """True for a site on a hosting platform's subdomain (a PSL private-section suffix)."""
    ascii_domain = to_ascii(domain)
    if not ascii_domain:
        return False
    return _suffix_list().privatesuffix(ascii_domain) != _icann_suffix_list().privatesuffix(ascii_domain)


def website_host(website: str) -> str | None:
    """The host of a website given with or without scheme, path, port or `www.` (A-labels)."""
    website = website.strip()
    if not website:
        return None
    if "://" not in website:
        website = "https://" + website
    try:
        host = urlsplit(website).hostname
    except ValueError:
        return None
    return to_ascii(host) if host else None


def email_domain(email: str) -> str | None:
    """The domain of a syntactically valid address (A-labels), or None."""
    email = email.strip()
    # A fully qualified domain ("example.com.") is the same domain; email_validator refuses it.
    email = email.removesuffix(".")
    try:
        validated = validate_email(email, check_deliverability=False)
    except (EmailNotValidError, ValueError):
        return None
    return to_ascii(validated.ascii_domain) if validated.ascii_domain else None


def is_free_mail(domain: str) -> bool:
    registrable = registrable_domain(domain)
    return bool(registrable) and to_unicode(registrable) in FREE_MAIL_DOMAINS


def is_disposable(domain: str) -> bool:
    ascii_domain = to_ascii(domain) or ""
    registrable = registrable_domain(domain) or ""
    return ascii_domain in DISPOSABLE_DOMAINS or registrable in DISPOSABLE_DOMAINS


def _is_within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def assess_business_email(email: str, website: str) -> Assessment:
    """Everything the portal needs to decide whether to send the confirmation link to
    `email`, and the sentences to show the seller when it should not."""
    domain = email_domain(email or "")
    if domain is None:
        return Assessment(None, None, None, False, False, False,
                          [_("Enter a valid email address, like you@yourbusiness.com.")])
    registrable = registrable_domain(domain)
    host = website_host(website or "")
    site_domain = registrable_domain(host) if host else None
    free = is_free_mail(domain)
    disposable = is_disposable(domain)
    on_domain = bool(registrable and site_domain and _is_within(domain, site_domain))

    shown_domain, shown_site = to_unicode(domain), site_domain and to_unicode(site_domain)
    problems = []
    if disposable:
        if shown_site:
            problems.append(_("%(domain)s hands out throwaway addresses. Use a permanent address on your business's own domain, %(site)s.",
                              domain=shown_domain, site=shown_site))
        else:
            problems.append(_("%(domain)s hands out throwaway addresses. Use a permanent address on your business's own domain.",
                              domain=shown_domain))
    elif free:
        if shown_site and not is_free_mail(shown_site):
            problems.append(_("%(domain)s is a free email service, so anyone can open an address there. Use an address on your business's own domain, like you@%(site)s.",
                              domain=shown_domain, site=shown_site))
        else:
            problems.append(_("%(domain)s is a free email service, so anyone can open an address there. Use an address on your business's own domain.",
                              domain=shown_domain))
    if registrable is None:
        problems.append(_("%(shown_domain)s isn't a domain we can recognize. Check the part after the @.", shown_domain=shown_domain))
    if not (website or "").strip():
        problems.append(_("Add your business website first: we compare your email with its domain."))
    elif site_domain is None:
        problems.append(_("Your website address has no domain we can compare with your email. Enter it like https://yourbusiness.com."))
    elif host and on_platform_subdomain(host) and not on_domain:
        problems.append(_("Your website %(site_domain)s is on a hosting platform's address, and email there belongs to the platform. Connect a domain of your own to your site and use an email address on it.", site_domain=to_unicode(site_domain)))
    elif not on_domain and not free and not disposable and registrable:
        problems.append(_("Your email is at %(shown_domain)s but your website is at %(shown_site)s. Use an address at %(shown_site)s, like you@%(shown_site)s, so we can confirm the domain is yours.", shown_domain=shown_domain, shown_site=shown_site))
    return Assessment(
        email_domain=shown_domain,
        registrable_domain=registrable and to_unicode(registrable),
        website_domain=shown_site or None,
        on_business_domain=on_domain,
        free_mail=free,
        disposable=disposable,
        problems=problems,
    )
