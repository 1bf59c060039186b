import re
import typing

import stripe.params.issuing as issuing_params
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.onboarding import mcc


def _stripe_category_slugs() -> set[str]:
    """Stripe Issuing's merchant category enum, read from the installed SDK's typed params."""
    hints = typing.get_type_hints(issuing_params.CardCreateParamsSpendingControls)
    literal = typing.get_args(hints["allowed_categories"])[0]  # NotRequired[List[Literal[...]]]
    while typing.get_origin(literal) is not typing.Literal:
        literal = typing.get_args(literal)[0]
    return set(typing.get_args(literal))


def test_catalogue_is_stripes_list():
    codes = [category.code for category in mcc.CATEGORIES]
    assert len(codes) == len(set(codes)) >= 290
    assert all(re.fullmatch(r"\d{4}", code) for code in codes)
    slugs = {category.slug for category in mcc.CATEGORIES}
    # Every category Stripe names is here, except its catch-all "miscellaneous", which has no code.
    assert _stripe_category_slugs() - slugs == {"miscellaneous"}
    assert slugs <= _stripe_category_slugs()


def test_well_known_codes():
    assert mcc.by_code("5411").name == "Grocery Stores, Supermarkets"
    assert mcc.by_code("4131").name == "Bus Lines"
    assert mcc.by_code("5812").name == "Eating Places, Restaurants"
    assert mcc.by_code("5734").name == "Computer Software Stores"
    assert mcc.by_code(" 0742 ").slug == "veterinary_services"
    assert mcc.by_code("1234") is None and mcc.by_code("") is None


def test_groups_cover_every_category_once_in_display_order():
    groups = mcc.groups()
    labels = [label for label, _ in groups]
    assert labels == [label for label in mcc.GROUPS if label in labels]
    assert labels[0] == mcc.FOOD
    listed = [category for _, members in groups for category in members]
    assert sorted(listed, key=lambda c: c.code) == sorted(mcc.CATEGORIES, key=lambda c: c.code)
    for _, members in groups:
        names = [c.name.casefold() for c in members]
        assert names == sorted(names)


def test_search_by_words_in_the_name():
    assert mcc.search("bakery")[0].code == "5462"  # "Bakeries": plurals fold
    assert mcc.search("grocery")[0].code == "5411"
    assert [c.code for c in mcc.search("fast food")] == ["5814"]
    assert mcc.search("car")[0].name.startswith("Car")  # whole words before "Carriers"


def test_search_by_synonyms_and_accents():
    assert mcc.search("saas")[0].code == "7372"
    assert {c.code for c in mcc.search("coffee shop")} == {"5812", "5814"}
    assert mcc.search("café")[0].code in {"5812", "5814"}
    assert mcc.search("plumber")[0].code == "1711"
    assert mcc.search("yoga")[0].code == "7999"
    assert mcc.search("hair salon")[0].code == "7230"


def test_search_by_code_limit_and_nothing():
    assert mcc.search("5812") == [mcc.by_code("5812")]
    assert len(mcc.search("stores", limit=3)) == 3
    assert mcc.search("stores", limit=0) == []
    assert mcc.search("") == [] and mcc.search("   ") == [] and mcc.search("zzzzqx") == []


def test_keywords_for_the_picker():
    assert "restaurant" in mcc.by_code("5812").keywords
    assert mcc.by_code("4582").keywords == ""
    assert all(mcc.by_code(code) for code in mcc.SYNONYMS)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=50), st.integers(min_value=-5, max_value=50))
def test_search_never_raises(query, limit):
    results = mcc.search(query, limit)
    assert len(results) <= max(limit, 0) or len(results) == 1
    assert all(isinstance(c, mcc.Category) for c in results)
