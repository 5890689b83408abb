"""The redemption flow's own error, without the flow (``kiosk.redeem`` re-exports it).

The UI's staff messages name it in their table of errors, and that table is built before the
scan screen's first frame, which doesn't import the flow itself (notes/perf-start3.md).
"""

from __future__ import annotations


class RedeemInProgress(RuntimeError):
    """A redeem (or reconciliation) is already running on this terminal; nothing was sent."""
