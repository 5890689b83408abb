"""Textual's process-wide caches whose keys hold widgets: emptied between customers.

Textual 8 (8.2.8) memoises ``StylesCache.get_inner_outer`` with ``functools.lru_cache(1024)``
on a *method*, so every key holds the ``StylesCache`` it was called on, and with it that
widget's cached rendered lines. A widget removed with its screen is freed, its style cache is
not: each customer left ~40 behind (offers, confirmation and result screens), so the 1,024
entries fill within the first few dozen customers and then hold ~11 MB (UI endurance
benchmark, 2026-11-29: 84.5 MB after 1,000 customers without this, 73.9 with it). Emptying
the cache costs nothing that matters: ~0.3 ms, and only the widgets still on screen fill it
again on their next paint (~12 us a widget; a new widget's style cache is a new key anyway).

Textual's other ``lru_cache``s on methods are keyed on objects that live as long as the app
(its line filters, the input parser) or on values (``Style``, ``Color``, geometry, classes),
or belong to widgets the kiosk doesn't use (``DataTable``, 32 entries): none holds a removed
widget.

Looked up in ``sys.modules``, never imported: ``kiosk run`` imports ``kiosk.ui.heap`` (which
calls this) before Textual, and a Textual upgrade that drops or renames the cache must not
stop the till; ``tests/ui/test_widget_caches.py`` says so when it happens.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

#: (module, class, method) of each cache; Textual 8.2.8.
WIDGET_KEYED_CACHES: tuple[tuple[str, str, str], ...] = (
    ("textual._styles_cache", "StylesCache", "get_inner_outer"),
)


def _cache_clear(module: str, owner: str, name: str) -> Callable[[], None] | None:
    """The cache's ``cache_clear``, or None when the module isn't loaded or it's gone."""
    cache_clear = getattr(getattr(getattr(sys.modules.get(module), owner, None), name, None),
                          "cache_clear", None)
    return cache_clear if callable(cache_clear) else None


def clear() -> int:
    """Empty every cache in ``WIDGET_KEYED_CACHES`` that exists; how many were emptied."""
    cleared = 0
    for where in WIDGET_KEYED_CACHES:
        cache_clear = _cache_clear(*where)
        if cache_clear is not None:
            cache_clear()
            cleared += 1
    return cleared


def present() -> list[str]:
    """The caches of ``WIDGET_KEYED_CACHES`` this Textual has (``module.Class.method``)."""
    return [".".join(where) for where in WIDGET_KEYED_CACHES if _cache_clear(*where) is not None]
