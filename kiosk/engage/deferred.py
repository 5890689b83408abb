"""An Engage client built on first use, so a till's start doesn't wait for httpx.

Importing httpx and building its pooled client (with a TLS context) was ~50-100 ms of every
``kiosk run`` before the scan screen could appear, for a client first needed a moment later
(the start-up reachability check, or the first scan). ``kiosk.ui.launch`` checks the settings
the client depends on (API key, TLS bundle) before the app starts, so a bad one still stops
the start with one line; only the import and construction wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class DeferredClient:
    """Stands in for the client ``factory()`` returns, building it on first attribute use."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None

    @property
    def built(self) -> bool:
        """Whether the real client exists yet."""
        return self._client is not None

    def get(self) -> Any:
        """The real client (built now if it wasn't)."""
        if self._client is None:
            self._client = self._factory()
        return self._client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probes: not the client's business
            raise AttributeError(name)
        return getattr(self.get(), name)

    async def aclose(self) -> None:
        """Close the client if it was ever built (nothing to close otherwise)."""
        if self._client is not None:
            await self._client.aclose()

    def __repr__(self) -> str:
        return f"DeferredClient({self._client!r})" if self._client else "DeferredClient(unbuilt)"
