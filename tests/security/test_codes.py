"""The pure parts: TOTP windows and replay, recovery codes, sealing the key, networks."""

import pyotp

from portal.security import codes
from portal.security.codes import CodeCheck

NOW = 1_800_000_000.0


def test_a_code_is_accepted_in_a_small_window_and_never_twice():
    secret = codes.new_secret()
    totp = pyotp.TOTP(secret)
    result, step = codes.check_code(secret, totp.at(NOW), 0, now=NOW)
    assert result is CodeCheck.ok and step == int(NOW // 30)
    assert codes.check_code(secret, totp.at(NOW), step, now=NOW)[0] is CodeCheck.replayed
    assert codes.check_code(secret, totp.at(NOW - 30), 0, now=NOW)[0] is CodeCheck.ok  # one step of drift
    assert codes.check_code(secret, totp.at(NOW + 30), step, now=NOW)[0] is CodeCheck.ok
    assert codes.check_code(secret, totp.at(NOW - 90), 0, now=NOW)[0] is CodeCheck.wrong  # too old
    assert codes.check_code(secret, " " + totp.at(NOW)[:3] + " " + totp.at(NOW)[3:], 0, now=NOW)[0] is CodeCheck.ok
    assert codes.check_code(secret, "abcdef", 0, now=NOW)[0] is CodeCheck.wrong


def test_the_key_is_stored_sealed_and_only_our_secret_opens_it():
    sealed = codes.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "app secret")
    assert "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" not in sealed
    assert codes.unseal(sealed, "app secret") == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert codes.unseal(sealed, "another secret") is None


def test_recovery_codes_are_random_and_hashed():
    fresh = codes.new_recovery_codes()
    assert len(fresh) == 10 and len(set(fresh)) == 10
    digest = codes.recovery_digest(fresh[0], "s")
    assert fresh[0] not in digest and codes.recovery_digest(fresh[0].upper().replace("-", " "), "s") == digest


def test_the_qr_code_is_an_inline_svg():
    uri = codes.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ann@example.com", "Seller Portal")
    assert uri.startswith("otpauth://totp/Seller%20Portal:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert codes.qr_data_uri(uri).startswith("data:image/svg+xml")


def test_networks_are_ipv4_slash_16_and_ipv6_slash_48():
    assert codes.network("203.0.113.7") == codes.network("203.0.200.1") != codes.network("203.1.113.7")
    assert codes.network("2001:db8:1:2::1") == codes.network("2001:db8:1:ffff::9") != codes.network("2001:db8:2::1")
    assert codes.network("::ffff:203.0.113.7") == codes.network("203.0.9.9")


def test_digits_other_than_ascii_are_a_wrong_code_not_an_error():
    secret = pyotp.random_base32()
    for typed in ("²²²²²²", "٣٤٥٦٧٨", "１２３４５６"):
        assert codes.check_code(secret, typed, 0) == (CodeCheck.wrong, 0)
