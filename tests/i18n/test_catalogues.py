"""The catalogues against the code (issue 18), as PyPI's warehouse checks its own: the words are
extracted from the code in-process, with babel.cfg's mapping (what `pybabel extract` reads), and
the committed messages.pot and every shipped language's messages.po must hold exactly those
messages; every language but en_GB must translate each of them (en_GB writes only where British
spelling differs: an empty message reads the English one); a translation keeps the English
message's placeholders, so `%(name)s` can never be lost or misspelled."""

import os
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal import i18n
from portal.settings import PROJECT_ROOT

KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
# Languages whose messages may stay empty (they then read the English one).
MAY_FALL_BACK = {"en_GB"}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\-+]*\d*(?:\.\d+)?[sdifr%]")


def extracted() -> Catalog:
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    # Babel skips folders starting with "_" by default: templates/_macros holds words too.
    def wanted(path: str) -> bool:
        name = os.path.basename(path)
        return not name.startswith(".") and name not in ("__pycache__", "node_modules")

    for filename, lineno, message, comments, context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True, directory_filter=wanted,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def committed(path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


@pytest.fixture(scope="module")
def code_catalogue():
    return extracted()


def keys(catalog: Catalog) -> dict:
    return {(message.context, message.id if isinstance(message.id, str) else message.id[0]): message.id
            for message in catalog if message.id}


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%"}


def test_the_committed_template_holds_exactly_the_words_in_the_code(code_catalogue):
    pot = committed(i18n.LOCALE_DIR / "messages.pot")
    in_code, in_pot = keys(code_catalogue), keys(pot)
    missing = sorted(str(key[1]) for key in in_code.keys() - in_pot.keys())
    gone = sorted(str(key[1]) for key in in_pot.keys() - in_code.keys())
    assert not missing and not gone, (
        "portal/locale/messages.pot is stale: run the commands in README's 'Languages' section.\n"
        f"In the code, not in messages.pot: {missing[:20]}\nIn messages.pot, no longer in the code: {gone[:20]}")
    assert in_code == in_pot  # plural forms too


def test_there_are_words_to_translate(code_catalogue):
    # The extraction must reach Python, page templates and mail templates alike.
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in code_catalogue}
    assert {"Log in", "Hello,", "Page not found"} <= ids
    assert len(ids) > 300


@pytest.mark.parametrize("language", [code for code in i18n.shipped_locales() if code != i18n.SOURCE_LOCALE])
def test_each_language_translates_every_message_and_keeps_its_placeholders(code_catalogue, language):
    po = committed(i18n.catalogue_path(language))
    assert po.locale is not None and str(po.locale) == language
    assert keys(po) == keys(code_catalogue), f"{language}'s messages.po is stale: run `pybabel update` (README)"
    problems = []
    for message in po:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy (a draft, not shown): {english[0]!r}")
        if isinstance(message.id, tuple) and len(strings) != po.num_plurals:
            problems.append(f"{len(strings)} plural forms, {language} has {po.num_plurals}: {english[0]!r}")
        if not all(strings):
            if language not in MAY_FALL_BACK or any(strings):
                problems.append(f"untranslated: {english[0]!r}")
            continue
        wanted = set().union(*(placeholders(text) for text in english))
        for text in strings:
            found = placeholders(text)
            # A language with one form for every number may leave the number out of a plural
            # (ja: 「%(count)s 日間」 keeps it; nothing else may go).
            if found != wanted and not (isinstance(message.id, tuple) and found == wanted - {"%(num)s", "%(count)s"}
                                        and po.num_plurals > 1 and text is strings[0]):
                problems.append(f"placeholders {sorted(found)} instead of {sorted(wanted)}: {english[0]!r} -> {text!r}")
    assert not problems, f"{language}: {len(problems)} problems:\n" + "\n".join(problems[:40])


def test_every_translation_is_read_by_the_portal():
    # The .po files compile (in memory) and answer: one message per language, as gettext sees it.
    for language in i18n.shipped_locales():
        if language in MAY_FALL_BACK or language == i18n.SOURCE_LOCALE:
            continue
        with i18n.using_locale(language):
            assert i18n.gettext("Log in") != "Log in", language
