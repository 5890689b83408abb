"""A pseudo-locale for tests: every catalog string with its letters accented ("Rédééɱ").

``install(monkeypatch)`` makes every language load it (money, percent and dates still follow
the language's CLDR locale), so anything staff see that still has a run of plain ASCII letters
did not come through the catalog: a string without ``_()``, a word from core code, a label
built by hand. Placeholders (``{n}``) keep their names so ``format`` still fills them.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kiosk
from kiosk import i18n

if TYPE_CHECKING:
    import gettext

    import pytest

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: One cell each, like the letters they stand for: the layout stays the English one.
_ACCENTED = "àƀçďéƒğĥíĵķĺɱñöƥɋŕšťüʋŵẋýžÅƁÇĎÉƑĞĤÍĴĶĹṀÑÖƤɊŔŠŤÜṼŴẊÝŽ"
_TABLE = str.maketrans(_PLAIN, _ACCENTED)
_PLACEHOLDER = re.compile(r"(\{[^{}]*\})")
POT = Path(kiosk.__file__).parent / "locale" / "kiosk.pot"


def pseudo(text: str) -> str:
    """``text`` with every ASCII letter accented, ``{placeholders}`` left as they are."""
    return "".join(part if _PLACEHOLDER.fullmatch(part) else part.translate(_TABLE)
                   for part in _PLACEHOLDER.split(text))


@cache
def _mo() -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with POT.open("rb") as f:
        catalog = read_po(f, locale="sv", domain=i18n.DOMAIN)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(pseudo(s) for s in message.id)
        else:
            message.string = pseudo(message.id)
    catalog.fuzzy = False  # the template's header is marked fuzzy; its plural rule is used
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=True)
    return out.getvalue()


def translations() -> gettext.GNUTranslations:
    """The pseudo catalog, compiled from kiosk.pot."""
    import gettext

    return gettext.GNUTranslations(io.BytesIO(_mo()))


def install(monkeypatch: pytest.MonkeyPatch, language: str = "sv") -> None:
    """Every ``set_language`` from now on loads the pseudo catalog; ``language`` (its CLDR
    locale for money and dates) is active now."""
    catalog: Any = translations()
    monkeypatch.setattr(i18n, "_load", lambda _language: catalog)
    i18n.set_language(language)


#: Plain ASCII letters on screen: a word that didn't come through the catalog.
PLAIN_WORD = re.compile(r"[A-Za-z]+")


def untranslated(screen: str, allowed: re.Pattern[str] | None = None
                 ) -> list[tuple[str, list[str]]]:
    """The rows of ``screen`` with a run of plain ASCII letters not matched by ``allowed``
    (removed first), each with the offending words."""
    found = []
    for row in screen.splitlines():
        rest = allowed.sub(" ", row) if allowed is not None else row
        words = PLAIN_WORD.findall(rest)
        if words:
            found.append((row.strip(), words))
    return found
