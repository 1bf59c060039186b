import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.onboarding.domain import (
    assess_business_email,
    is_disposable,
    is_free_mail,
    on_platform_subdomain,
    registrable_domain,
    website_host,
)


@pytest.mark.parametrize("email, website", [
    ("me@example.com", "https://example.com"),
    ("Me@EXAMPLE.COM", "https://www.Example.com/shop?ref=1"),
    ("me@example.com.", "example.com."),  # fully qualified, trailing dots
    ("me@mail.example.com", "example.com"),  # a subdomain of the website's domain
    ("me@example.com", "shop.example.com"),  # the website on a subdomain
    ("me@shop.co.uk", "http://www.shop.co.uk/"),  # a multi-part public suffix
    ("info@bücher.de", "https://www.xn--bcher-kva.de"),  # IDN: Unicode email, punycode site
    ("info@xn--bcher-kva.de", "bücher.de"),
    ("me@example.com", "example.com:443/path"),
])
def test_email_on_the_business_domain(email, website):
    assessment = assess_business_email(email, website)
    assert assessment.on_business_domain
    assert assessment.problems == [] and assessment.acceptable
    assert not assessment.free_mail and not assessment.disposable


def test_domains_are_reported_in_unicode_lower_case():
    assessment = assess_business_email("Info@MAIL.Bücher.DE", "https://www.xn--bcher-kva.de")
    assert assessment.email_domain == "mail.bücher.de"
    assert assessment.registrable_domain == "bücher.de"
    assert assessment.website_domain == "bücher.de"


def test_a_lookalike_suffix_is_not_the_same_domain():
    # notexample.com ends with "example.com" but is another domain.
    assessment = assess_business_email("me@notexample.com", "example.com")
    assert not assessment.on_business_domain
    assert "Use an address at example.com" in assessment.problems[0]


def test_other_domains_under_the_same_public_suffix_differ():
    assessment = assess_business_email("a@other.co.uk", "shop.co.uk")
    assert not assessment.on_business_domain
    assert assessment.problems == [
        ("Your email is at other.co.uk but your website is at shop.co.uk. Use an address at shop.co.uk, "
         "like you@shop.co.uk, so we can confirm the domain is yours.")
    ]


@pytest.mark.parametrize("email", ["owner@gmail.com", "owner@googlemail.com", "o@hotmail.co.uk", "o@outlook.com",
                                   "o@yahoo.com", "o@icloud.com", "o@me.com", "o@aol.com", "o@proton.me",
                                   "o@gmx.de", "o@yandex.ru", "o@mail.ru", "o@zoho.com", "o@live.com"])
def test_free_mail_is_flagged(email):
    assessment = assess_business_email(email, "https://rocketrides.io")
    assert assessment.free_mail and not assessment.on_business_domain
    assert "free email service" in assessment.problems[0]
    assert "you@rocketrides.io" in assessment.problems[0]
    assert len(assessment.problems) == 1


def test_free_mail_stays_flagged_even_on_its_own_website():
    assessment = assess_business_email("me@gmail.com", "gmail.com")
    assert assessment.free_mail and assessment.problems


def test_disposable_mail_is_flagged():
    assessment = assess_business_email("x@mailinator.com", "rocketrides.io")
    assert assessment.disposable and not assessment.on_business_domain
    assert "throwaway" in assessment.problems[0]
    assert is_disposable("mailinator.com") and not is_disposable("rocketrides.io")


def test_platform_subdomains_are_the_sellers_own_registrable_domain():
    assert registrable_domain("myshop.myshopify.com") == "myshop.myshopify.com"
    assert registrable_domain("x.github.io") == "x.github.io"
    assert on_platform_subdomain("myshop.myshopify.com") and not on_platform_subdomain("example.com")
    # An address at the platform's own domain is the platform's, not the seller's.
    assessment = assess_business_email("owner@myshopify.com", "https://myshop.myshopify.com")
    assert not assessment.on_business_domain
    assert assessment.registrable_domain == "myshopify.com"
    assert "hosting platform" in assessment.problems[0]
    # An address at the seller's own subdomain would match (rare, but it is theirs).
    assert assess_business_email("a@myshop.myshopify.com", "myshop.myshopify.com").on_business_domain


@pytest.mark.parametrize("website, words", [
    ("", "Add your business website first"),
    ("localhost", "no domain we can compare"),
    ("http://127.0.0.1", "no domain we can compare"),
    ("http://[::1]/", "no domain we can compare"),
    ("https://co.uk", "no domain we can compare"),
])
def test_missing_or_unusable_website(website, words):
    assessment = assess_business_email("me@example.com", website)
    assert not assessment.on_business_domain and assessment.website_domain is None
    assert words in assessment.problems[0]


@pytest.mark.parametrize("email", ["", "me", "me@", "@example.com", "me@exa mple.com", "me@@example.com"])
def test_invalid_emails(email):
    assessment = assess_business_email(email, "example.com")
    assert assessment.email_domain is None and not assessment.on_business_domain
    assert assessment.problems == ["Enter a valid email address, like you@yourbusiness.com."]


def test_unknown_top_level_domain():
    assessment = assess_business_email("me@example.notatld", "example.com")
    assert assessment.registrable_domain is None
    assert "isn't a domain we can recognize" in assessment.problems[0]


def test_helpers():
    assert website_host("HTTPS://WWW.Example.COM:8080/a?b") == "example.com"
    assert website_host("example.com/path") == "example.com"
    assert website_host("") is None
    assert registrable_domain("a.b.shop.example.co.uk") == "example.co.uk"
    assert registrable_domain("co.uk") is None and registrable_domain("10.0.0.1") is None
    assert is_free_mail("mail.yahoo.co.jp") and not is_free_mail("example.com")


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=80), st.emails().map(str)),
       st.one_of(st.text(max_size=80), st.from_regex(r"(https?://)?([a-zA-Z0-9\-]{1,10}\.){1,3}[a-z]{2,6}(/.{0,5})?", fullmatch=True)))
def test_assessment_never_raises_and_explains_itself(email, website):
    assessment = assess_business_email(email, website)
    assert all(isinstance(p, str) and p.strip() for p in assessment.problems)
    # Whenever the address is not plainly fine, the seller is told why.
    if not assessment.on_business_domain or assessment.free_mail or assessment.disposable:
        assert assessment.problems
