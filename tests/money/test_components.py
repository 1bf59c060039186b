"""The component and feature choice, and the Content-Security-Policy per mode: pure functions."""

import pytest
from stripe._account_session import AccountSession

from portal.app import content_security_policy
from portal.money.components import PAGES, STRIPE_CONNECT_JS, connect_js, embedded_components, page_components
from portal.settings import Settings

MONEY_FEATURES = {"instant_payouts", "standard_payouts", "edit_payout_schedule", "refund_management",
                  "dispute_management", "capture_payments", "smart_disputes_management"}


@pytest.mark.parametrize("read_only", [False, True])
def test_every_component_and_feature_is_one_stripe_declares(read_only):
    declared = AccountSession.Components.__annotations__
    for name, component in embedded_components(read_only=read_only).items():
        assert name in declared
        assert set(component.get("features", {})) <= set(declared[name].Features.__annotations__), name


def test_a_seller_can_pay_out_edit_the_schedule_refund_and_answer_disputes():
    components = embedded_components(read_only=False, recently_confirmed=True)
    for name in ("payouts", "balances"):
        assert components[name]["features"] == {
            "instant_payouts": True, "standard_payouts": True, "edit_payout_schedule": True,
            # Bank details come from the portal's own form; platform-collected accounts may say so.
            "external_account_collection": False, "disable_stripe_user_authentication": True,
        }
    for name in ("disputes_list", "payments", "payment_disputes"):
        assert components[name]["features"]["dispute_management"] is True
    assert components["payments"]["features"]["refund_management"] is True
    for name in ("notification_banner", "account_management"):
        assert components[name]["features"]["external_account_collection"] is False
    assert {name for name, component in components.items() if component["enabled"]} == {
        "payouts", "balances", "payouts_list", "disputes_list", "payment_disputes", "payments",
        "notification_banner", "account_management", "documents"}


def test_changing_the_schedule_needs_a_recent_confirmation_that_it_is_the_seller():
    assert embedded_components(read_only=False)["payouts"]["features"]["edit_payout_schedule"] is False
    assert embedded_components(read_only=False)["payouts"]["features"]["standard_payouts"] is True
    assert embedded_components(read_only=False, recently_confirmed=True)["payouts"]["features"]["edit_payout_schedule"] is True


def test_read_only_turns_off_everything_that_moves_money_or_answers_a_dispute():
    components = embedded_components(read_only=True)
    for name, component in components.items():
        for feature in MONEY_FEATURES & set(component.get("features", {})):
            assert component["features"][feature] is False, (name, feature)
    assert components["account_management"]["enabled"] is False
    assert components["payouts"]["enabled"] and components["disputes_list"]["enabled"]
    assert page_components("settings", read_only=True) == ["documents"]
    assert page_components("settings", read_only=False) == PAGES["settings"]


def test_while_payouts_are_held_nothing_pays_out_or_changes_the_schedule():
    components = embedded_components(read_only=False, payouts_held=True)
    for name in ("payouts", "balances"):
        assert components[name]["features"]["standard_payouts"] is False
        assert components[name]["features"]["instant_payouts"] is False
        assert components[name]["features"]["edit_payout_schedule"] is False
    assert components["payments"]["features"]["refund_management"] is True
    assert components["disputes_list"]["features"]["dispute_management"] is True


def test_every_page_component_is_enabled_in_the_session():
    components = embedded_components(read_only=False)
    for tags in PAGES.values():
        for tag in tags:
            assert components[tag.replace("-", "_")]["enabled"]


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_sandbox_mode_allows_only_the_portal_itself(tmp_path):
    settings = Settings(PORTAL_VAR_DIR=tmp_path)
    assert connect_js(settings).url == "/sandbox/connect.js"
    policy = _directives(content_security_policy(settings))
    for directive in ("script-src", "style-src", "connect-src", "frame-src"):
        assert policy[directive] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_a_sandbox_on_another_origin_is_allowed_for_its_script_styles_and_calls(tmp_path):
    settings = Settings(PORTAL_VAR_DIR=tmp_path, sandbox_embedded=False, stripe_api_base="http://127.0.0.1:9999")
    assert connect_js(settings).url == "http://127.0.0.1:9999/connect.js"
    policy = _directives(content_security_policy(settings))
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == ["'self'", "http://127.0.0.1:9999"]
    assert policy["frame-src"] == ["'self'"]


def test_stripe_mode_loads_stripes_script_and_allows_its_frames(tmp_path):
    settings = Settings(PORTAL_VAR_DIR=tmp_path, stripe_secret_key="sk_test_123", stripe_publishable_key="pk_test_123")
    assert connect_js(settings) == type(connect_js(settings))(STRIPE_CONNECT_JS, "pk_test_123")
    policy = _directives(content_security_policy(settings))
    assert policy["script-src"] == ["'self'", "https://connect-js.stripe.com", "https://js.stripe.com"]
    assert policy["frame-src"] == ["'self'", "https://connect-js.stripe.com", "https://js.stripe.com"]
    assert policy["img-src"] == ["'self'", "data:", "https://*.stripe.com"]
    assert policy["style-src"] == ["'self'", "'sha256-0hAheEzaMe6uXIKV4EehS9pu1am1lj/KnnzrOYqckXk='"]
    assert policy["connect-src"] == ["'self'"]
