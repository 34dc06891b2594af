"""Reader-facing text in Dutch and English: gettext message catalogues read with Babel, and
numbers, money and units formatted by Babel's CLDR locale data (nl_NL, en_GB).

Why: readers are Dutch municipal staff and entrepreneurs; every report, sheet, header and
card sentence comes from `locale/<lang>/LC_MESSAGES/regionomie.po` (msgid = the English
source text in the code, wrapped in `_()`), so a translator edits one file and a test fails
when a string in the code is missing from either catalogue. The .po files are read directly
(compiled in memory by Babel), so a fresh clone needs no build step.

    texts = Texts("nl")
    texts._("Top business cases")           # 'Beste business cases'
    texts.tonnes(1887.0)                      # '1.887 t'
    texts.eur(72938.48)                       # '€ 72.938'
    texts.co2e_kg(470234.1)                   # '470 t CO₂e'
    texts.percent(0.025)                      # '2,5 %'
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import parse_pattern
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "regionomie"
LANGUAGES: tuple[str, ...] = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
#: Babel/CLDR locale of each language: Dutch as in the Netherlands, English as in Britain
#: (day-month dates, € before the amount, metric units).
LOCALES: dict[str, str] = {"nl": "nl_NL", "en": "en_GB"}
NBSP = "\u00a0"


class UnknownLanguageError(ValueError):
    """A language without a catalogue; the message names the known ones."""


def check_language(lang: str | None) -> str:
    """'nl'/'en' (case-insensitive, 'nl_NL' and 'en-GB' accepted); None -> the default."""
    code = (lang or DEFAULT_LANGUAGE).strip().lower().replace("-", "_").split("_")[0]
    if code not in LANGUAGES:
        raise UnknownLanguageError(
            f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}"
        )
    return code


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    """The language's catalogue as gettext Translations (the .po compiled in memory)."""
    with catalogue_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _(message: str) -> str:
    """Marks a source text for extraction only (module-level tables); translate at use time
    with Texts.gettext."""
    return message


@lru_cache(maxsize=1 << 18)
def _apply(pattern: str, number: float, locale: str, currency: str | None = None) -> str:
    """Babel's CLDR formatting of one (rounded) number; memoised, since report and sheet
    figures repeat (parsing the pattern and locale each time cost ~100 µs a figure)."""
    parsed = parse_pattern(pattern)
    if currency is None:
        return parsed.apply(number, _locale(locale))
    return parsed.apply(number, _locale(locale), currency=currency, currency_digits=False)


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _significant(number: float, digits: int = 3) -> float:
    """72,938.48 -> 72,900: figures given as 'about', to `digits` significant digits."""
    if number == 0 or abs(number) < 10 ** (digits - 1):
        return number
    return float(round(number, digits - 1 - int(math.floor(math.log10(abs(number))))))


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


@dataclass(frozen=True)
class Texts:
    """One language's texts and number formats. Every method returns plain text (not HTML);
    a missing value formats as an empty string."""

    lang: str = DEFAULT_LANGUAGE
    _tr: Translations = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lang", check_language(self.lang))
        object.__setattr__(self, "_tr", translations(self.lang))

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    # --- messages -----------------------------------------------------------------------

    def gettext(self, message: str, **values: Any) -> str:
        text = self._tr.gettext(message)
        return text.format(**values) if values else text

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._tr.ngettext(singular, plural, n).format(n=n, **values)

    def yes_no(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return self._("yes") if bool(value) else self._("no")

    # --- numbers ------------------------------------------------------------------------

    def number(self, value: Any, digits: int = 0) -> str:
        """1887.04 -> '1.887' (nl) / '1,887' (en); `digits` decimals, grouped."""
        number = _number(value)
        if number is None:
            return ""
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return _apply(pattern, round(number, digits), self.locale)

    def _unit(self, text: str, unit: str) -> str:
        return f"{text}{NBSP}{unit}" if text else ""

    def tonnes(self, value: Any, approx: bool = False) -> str:
        """Tonnes: whole tonnes from 10 t, one decimal below ('1.887 t', '4,6 t'); `approx`:
        three significant digits ('1.890 t'), for figures in a sentence."""
        number = _number(value)
        if number is None:
            return ""
        if approx:
            number = _significant(number)
        return self._unit(self.number(number, 0 if abs(number) >= 10 else 1), "t")

    def co2e_kg(self, kg: Any) -> str:
        """Kilograms CO₂-equivalent shown in tonnes ('470 t CO₂e')."""
        number = _number(kg)
        if number is None:
            return ""
        tonnes = number / 1000.0
        return self._unit(self.number(tonnes, 0 if abs(tonnes) >= 10 else 1), "t" + NBSP + "CO₂e")

    def eur(self, value: Any, approx: bool = False) -> str:
        """Whole euros with the locale's currency pattern ('€ 72.938' / '€72,938'); `approx`:
        three significant digits ('€ 72.900'), for 'about' figures in a sentence."""
        number = _number(value)
        if number is None:
            return ""
        if approx:
            number = _significant(number)
        pattern = "¤" + NBSP + "#,##0" if self.lang == "nl" else "¤#,##0"
        return _apply(pattern, float(round(number)), self.locale, "EUR")

    def km(self, value: Any) -> str:
        number = _number(value)
        if number is None:
            return ""
        return self._unit(self.number(number, 1 if abs(number) < 100 else 0), "km")

    def percent(self, share: Any, digits: int = 1) -> str:
        """A share 0..1 as a percentage ('2,5 %' / '2.5%')."""
        number = _number(share)
        if number is None:
            return ""
        decimals = "." + "0" * digits if digits > 0 else ""
        sep = NBSP if self.lang == "nl" else ""
        return _apply(f"#,##0{decimals}{sep}%", round(number, digits + 2), self.locale)

    def jobs(self, value: Any) -> str:
        """Jobs as whole numbers: '< 1' below a half, a range 'n–n+1' below ten, whole above."""
        number = _number(value)
        if number is None:
            return ""
        if number < 0.5:
            return self._("less than 1")
        if number < 10 and abs(number - round(number)) > 0.05:
            low, high = math.floor(number), math.ceil(number)
            return f"{max(low, 1)}–{high}"
        return self.number(round(number), 0)

    def score(self, value: Any) -> str:
        """A 0..1 score as a number out of 100 ('89')."""
        number = _number(value)
        return "" if number is None else self.number(number * 100, 0)

    def date(self, value: Any) -> str:
        from babel.dates import format_date

        return format_date(value, format="long", locale=self.locale)


@cache
def texts_for(lang: str | None = None) -> Texts:
    return Texts(check_language(lang))


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALES",
    "NBSP",
    "Texts",
    "UnknownLanguageError",
    "catalogue_path",
    "check_language",
    "texts_for",
    "translations",
]
