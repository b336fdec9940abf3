"""One translation function for every page, with zh-CN and English catalogs.

Catalogs are flat JSON files in ``nevport/web/locales``: ``{"key": "text with {params}"}``.
Both must hold exactly the same keys (a test checks it). A page gets a ``Translator``
bound to the request's language: the ``lang`` cookie, else ``Accept-Language``, else
``settings.default_language``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final

from nevport.errors import NotFound

LANGUAGES: Final = ("zh-CN", "en")
LANG_COOKIE: Final = "lang"
LANGUAGE_NAMES: Final = {"zh-CN": "中文", "en": "English"}

# Money is shown in the scale a reader of each language expects: 亿 (1e8) and 万 (1e4)
# in Chinese, billion (1e9) and million (1e6) in English.
_MONEY_SCALES: Final[dict[str, tuple[float, float]]] = {"zh-CN": (1e8, 1e4), "en": (1e9, 1e6)}


class MissingTranslationError(KeyError):
    """A key used in code or a template is absent from a catalog (a programming error)."""


@cache
def catalog(language: str) -> dict[str, str]:
    """The catalog of ``language`` (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise NotFound(
            f"language {language!r} is not offered; expected one of {', '.join(LANGUAGES)}"
        )
    text = (files("nevport.web") / "locales" / f"{language}.json").read_text(encoding="utf-8")
    entries: dict[str, str] = json.loads(text)
    return entries


def normalise_language(code: str) -> str | None:
    """The offered language a tag like ``zh``, ``zh-Hans-CN`` or ``en-GB`` stands for."""
    tag = code.strip().lower().replace("_", "-")
    if tag in ("zh", "zh-cn", "zh-hans", "zh-sg") or tag.startswith("zh-hans"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str) -> str | None:
    """The best offered language in an ``Accept-Language`` header, by q-value."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = normalise_language(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        found = from_accept_language(accept_language)
        if found is not None:
            return found
    return default


@dataclass(frozen=True, slots=True)
class Translator:
    """``t(key, **params)`` in one language, plus number formatting for that language."""

    language: str

    def __call__(self, key: str, /, **params: object) -> str:
        try:
            text = catalog(self.language)[key]
        except KeyError:
            raise MissingTranslationError(f"no {self.language} text for key {key!r}") from None
        return text.format(**params) if params else text

    def pick(self, zh: str, en: str) -> str:
        """The one of a name's two spellings that belongs to this language."""
        return zh if self.language == "zh-CN" else en

    def number(self, value: float | None, digits: int = 0) -> str:
        """``12,345`` or ``1,234.5``; trailing zeros dropped; a dash for no value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{value:,.{digits}f}"
        if digits:
            text = text.rstrip("0").rstrip(".")
        return text

    def money(self, yuan: float | None) -> str:
        """An amount in the language's scale, to three significant figures or whole units:
        ``23.2 亿元``, ``243 亿元``, ``1.13 billion yuan``, ``686 million yuan``."""
        if yuan is None:
            return "–"
        big, mid = _MONEY_SCALES[self.language]
        if abs(yuan) >= big:
            return self("money.big", value=self._scaled(yuan / big))
        if abs(yuan) >= mid:
            return self("money.mid", value=self._scaled(yuan / mid))
        return self("money.unit", value=self.number(yuan))

    def _scaled(self, value: float) -> str:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
        return self.number(value, digits)

    def money_big(self, yuan: float) -> float:
        """``yuan`` in the large unit of ``money.axis_big`` (亿元 or billion yuan), for charts."""
        return round(yuan / _MONEY_SCALES[self.language][0], 3)
