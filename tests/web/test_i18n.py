"""The catalogs: complete, consistent, and covering every key the pages use."""

from __future__ import annotations

import re
import string
from importlib.resources import files
from pathlib import Path

import pytest

from nevport.auth.roles import Role
from nevport.auth.service import Principal
from nevport.errors import NotFound
from nevport.park.models import GreenLevel, ProjectStatus, Sector
from nevport.web.i18n import (
    LANGUAGES,
    MissingTranslationError,
    Translator,
    catalog,
    choose_language,
    from_accept_language,
)
from nevport.web.pages.errors import WORDED_STATUSES
from nevport.web.pages.render import navigation

WEB = Path(str(files("nevport.web")))
KEY_CALL = re.compile(r"""\bt\(\s*(?:f?)["']([A-Za-z0-9_.{}]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _used_keys() -> set[str]:
    sources = [*WEB.joinpath("templates").rglob("*.html"), *WEB.rglob("*.py")]
    return {key for path in sources for key in KEY_CALL.findall(path.read_text(encoding="utf-8"))}


def test_catalogs_have_identical_keys() -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_value_is_empty(language: str) -> None:
    empty = [key for key, text in catalog(language).items() if not text.strip()]
    assert empty == []


def test_placeholders_agree_between_languages() -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    differing = [key for key in zh if _placeholders(zh[key]) != _placeholders(en[key])]
    assert differing == []


def test_every_literal_key_in_templates_and_code_exists() -> None:
    used = {key for key in _used_keys() if "{" not in key and not key.endswith(".")}
    assert len(used) > 60  # the scan found the calls; a broken regex would find none
    missing = sorted(used - set(catalog("zh-CN")))
    assert missing == []


def test_every_computed_key_exists() -> None:
    """Keys built from values (t('sector.' ~ value)) cannot be scanned; enumerate them."""
    computed = {f"sector.{s.value}" for s in Sector}
    computed |= {f"green.{g.value}" for g in GreenLevel}
    computed |= {f"project.{p.value}" for p in ProjectStatus}
    computed |= {f"role.{r.value}" for r in Role}
    for group in [*map(str, WORDED_STATUSES), "generic"]:
        computed |= {f"error.{group}.title", f"error.{group}.message"}
    for role in Role:
        enterprise = 1 if role.is_enterprise_role else None
        computed |= {item.label for item in navigation(Principal(1, "u", role, enterprise), "/")}
    missing = sorted(computed - set(catalog("zh-CN")))
    assert missing == []


def test_unknown_language_is_refused() -> None:
    with pytest.raises(NotFound, match="'fr' is not offered"):
        catalog("fr")


def test_missing_key_is_an_error_not_a_blank() -> None:
    with pytest.raises(MissingTranslationError, match=r"no\.such\.key"):
        Translator("en")("no.such.key")


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        ("en", "zh-CN,zh;q=0.9", "en"),  # the cookie wins
        (None, "en-GB,en;q=0.9,zh;q=0.5", "en"),
        (None, "de-DE, zh-Hans;q=0.8, en;q=0.3", "zh-CN"),
        ("fr", "fr-FR", "zh-CN"),  # neither offered: the default
        (None, None, "zh-CN"),
    ],
)
def test_language_precedence(cookie: str | None, accept: str | None, expected: str) -> None:
    assert choose_language(cookie, accept, "zh-CN") == expected


def test_accept_language_honours_quality() -> None:
    assert from_accept_language("zh;q=0.2, en;q=0.7") == "en"
    assert from_accept_language("en;q=0, zh") == "zh-CN"
    assert from_accept_language("en;q=bogus") is None


@pytest.mark.parametrize(
    ("language", "yuan", "expected"),
    [
        ("zh-CN", 23_200_000_000, "232 亿元"),
        ("zh-CN", 3_120_000_000, "31.2 亿元"),
        ("zh-CN", 480_000_000, "4.8 亿元"),
        ("zh-CN", 15_000_000, "1,500 万元"),
        ("zh-CN", 9_500, "9,500 元"),
        ("en", 23_200_000_000, "23.2 billion yuan"),
        ("en", 480_000_000, "480 million yuan"),
        ("en", 686_140_000, "686 million yuan"),
        ("en", 1_134_000_000, "1.13 billion yuan"),
        ("zh-CN", 24_310_000_000, "243 亿元"),
        ("en", 9_500, "9,500 yuan"),
        ("en", None, "–"),
    ],
)
def test_money_in_each_languages_scale(language: str, yuan: int | None, expected: str) -> None:
    assert Translator(language).money(yuan) == expected
