"""F2 on the scan screen: this till's redemptions of the day, from the journal, newest first.

Time, masked card, offer, what to apply and the state, so a till code lost to the idle reset
can be called back. No names and no full card numbers (the journal holds neither). Escape
closes. The columns fit the screen (``fit_columns``): the state stays whole, what to apply
wraps onto a second line rather than being cut, the offer's name gives way. F5 on an attempt
Engage couldn't confirm ("not verified: check") settles it by hand, after the staff PIN
(``SettleRequested``: the app asks for the PIN, ``screens/settle.py`` for what happened).

The list follows the journal while it is open: the app reads the day again when an attempt is
settled (by the kiosk's own checks, at this till, or by IT from another process: the app's
journal watch) and :meth:`RecallScreen.show` redraws the cells that changed, the cursor kept
on the same attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from kiosk.i18n import N_, _, format_time, ngettext
from kiosk.text import sanitize
from kiosk.ui.styles import SCREENS_CSS
from kiosk.ui.widgets.footer import KioskFooter

#: The key that settles the attempt under the cursor by hand (after the PIN).
SETTLE_KEY = "f5"

@dataclass(frozen=True)
class OpenAttempt:
    """An attempt F5 may settle by hand, as F2 lists it (``screens/settle.py`` shows it)."""

    journal_id: int
    time: str  # "14:05", the till's local time
    masked_card: str
    offer_name: str
    value: str


#: Journal state -> (what staff read (msgid), whether the value may be applied).
STATE_TEXT: dict[str, tuple[str, bool]] = {
    "redeemed": (N_("redeemed"), True),
    "verified-redeemed": (N_("redeemed (verified)"), True),
    "rejected": (N_("refused: don't apply"), False),
    "verified-not-redeemed": (N_("not redeemed: don't apply"), False),
    "pending": (N_("not verified: check"), False),
    "unknown": (N_("not verified: check"), False),
}


def local_time(stamp: str) -> str:
    """"14:05" ("14.05" in da and fi) for a journal's UTC timestamp, local to the till."""
    try:
        return format_time(datetime.fromisoformat(stamp))
    except ValueError:
        return "?"


def listed(rows: Sequence[Any], terminal: str) -> list[Any]:
    """The journal rows F2 lists, in its order: of ``terminal`` ("" = every terminal), newest
    first; rows written in the same instant by their order in the journal."""
    return [row for row in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
            if not terminal or row.terminal == terminal]


def recall_rows(rows: Sequence[Any], terminal: str) -> list[tuple[Text, ...]]:
    """Table rows (newest first) for journal rows of ``terminal`` ("" = every terminal)."""
    out: list[tuple[Text, ...]] = []
    for row in listed(rows, terminal):
        msgid, apply_ok = STATE_TEXT.get(str(row.state), (sanitize(str(row.state)), False))
        state = _(msgid)
        out.append((
            Text(local_time(row.created_at)),
            Text(sanitize(row.masked_card, limit=12)),
            Text(sanitize(row.offer_name, limit=60), no_wrap=True, overflow="ellipsis"),
            Text(sanitize(row.value_applied, limit=40), style="bold" if apply_ok else "dim strike",
                 overflow="fold"),  # a till code is keyed in: wrapped, never cut
            Text(state, style="" if apply_ok else "bold"),
        ))
    return out


def recall_attempts(rows: Sequence[Any], terminal: str) -> list[OpenAttempt | None]:
    """For each of :func:`recall_rows`'s rows (same order): the attempt staff may settle by
    hand (``unknown``: Engage couldn't confirm it), else None (settled, or ``pending``: its
    answer may be on its way)."""
    return [OpenAttempt(row.id, local_time(row.created_at), row.masked_card, row.offer_name,
                        row.value_applied) if str(row.state) == "unknown" else None
            for row in listed(rows, terminal)]


@dataclass(frozen=True)
class Today:
    """F2's list as read from the journal: the table's rows, per row the attempt F5 may settle
    (None: not open) and its journal id, an error for staff ("" if none), and the journal's
    :meth:`~kiosk.journal.Journal.changes` read just before the rows (None: unknown)."""

    rows: list[tuple[Text, ...]]
    attempts: list[OpenAttempt | None]
    ids: list[int]
    error: str = ""
    version: tuple[int, int] | None = None

    @classmethod
    def read(cls, found: Sequence[Any], terminal: str,
             version: tuple[int, int] | None = None) -> Today:
        """From the journal rows of the day (any order, any terminal)."""
        return cls(recall_rows(found, terminal), recall_attempts(found, terminal),
                   [row.id for row in listed(found, terminal)], "", version)


def _same(a: Text, b: Text) -> bool:
    """Drawn alike (rich's ``Text ==`` ignores the text's own style: "bold" vs "dim strike")."""
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans


#: Columns of the table: time, card, offer, apply, state (``OFFER`` and ``APPLY`` may shrink).
OFFER, APPLY = 2, 3
#: Narrowest the offer and apply columns get before anything else gives way.
MIN_OFFER, MIN_APPLY = 12, 10
#: The table's margin (``#recall-table``) in columns; a vertical scrollbar takes 2 more.
TABLE_MARGIN, SCROLLBAR = 2, 2
#: Rows of the screen that aren't table rows: the title, the table's header, the footer.
NOT_ROWS = 3 + 1 + 1


def column_headers() -> list[str]:
    """The columns' headers, in the staff's language."""
    return [_("Time"), _("Card"), _("Offer"), _("Apply"), _("State")]


def fit_columns(headers: Sequence[str], rows: Sequence[tuple[Text, ...]], width: int,
                padding: int = 1) -> list[int]:
    """Column widths that fit ``width`` (cells, ``padding`` on each side of each column).

    Time, card and state keep their full width (the state says whether to apply); when the
    rest doesn't fit, the offer's name is cut first (down to ``MIN_OFFER``), then what to
    apply gets narrower (down to ``MIN_APPLY``; it wraps), then the name again.
    """
    widths = [max([Text(h).cell_len, *(row[i].cell_len for row in rows)])
              for i, h in enumerate(headers)]
    excess = sum(widths) + 2 * padding * len(widths) - width
    for column, floor in ((OFFER, MIN_OFFER), (APPLY, MIN_APPLY), (OFFER, 1)):
        cut = max(0, min(excess, widths[column] - floor))
        widths[column] -= cut
        excess -= cut
    return widths


class RecallScreen(Screen[None]):
    """Today's redemptions at this till. Escape closes."""

    CSS_PATH = SCREENS_CSS  # added after the first frame, before any such screen (ui.styles)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="close"),
        Binding("up", "cursor_up", N_("Up"), show=False),
        Binding("down", "cursor_down", N_("Scroll"), key_display="↑↓"),
        Binding(SETTLE_KEY, "settle", N_("Settle"), id="settle"),
    ]

    @dataclass
    class SettleRequested(Message):
        """Staff want the attempt under the cursor settled by hand (the app asks the PIN)."""

        attempt: OpenAttempt

    def __init__(self, rows: list[tuple[Text, ...]], error: str = "",
                 attempts: Sequence[OpenAttempt | None] = (), ids: Sequence[int] = (),
                 version: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.error = error
        #: per row, the attempt F5 may settle (None: not open), and its journal id
        self.attempts = list(attempts)
        self.ids = list(ids)
        #: the journal's ``changes()`` just before these rows were read (the app's watch
        #: reads them again when it differs; None: unknown)
        self.journal_version = version
        self._widths: list[int] = []  # the columns the table has now

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="recall-title")
        if self.error:
            yield Static(Text(self.error), id="recall-empty")
        elif not self.rows:
            yield Static(Text(_("No redemptions at this till today.")), id="recall-empty")
        else:
            table: DataTable[Text] = DataTable(id="recall-table", cursor_type="row",
                                               zebra_stripes=True)
            table.can_focus = False
            yield table
        yield KioskFooter()

    def _title(self) -> Text:
        title = Text(_("Today at this till"), style="bold")
        n = len(self.rows)
        if n:  # none: the line below says so
            title.append("  ·  " + ngettext("{n} redemption", "{n} redemptions", n).format(n=n),
                         style="dim")
        return title

    def on_mount(self) -> None:
        self._fill()

    def on_resize(self) -> None:
        self._fill()

    def _fit(self, table: DataTable[Text]) -> list[int]:
        """The columns' widths for the rows now, fitted to the screen."""
        width, height = self.app.size
        widths = fit_columns(column_headers(), self.rows, width - TABLE_MARGIN, table.cell_padding)
        lines = sum(-(-row[APPLY].cell_len // max(widths[APPLY], 1)) for row in self.rows)
        if lines > height - NOT_ROWS:  # a scrollbar will take its columns
            widths = fit_columns(column_headers(), self.rows, width - TABLE_MARGIN - SCROLLBAR,
                                 table.cell_padding)
        return widths

    def _fill(self) -> None:
        """The table's columns, fitted to the screen, and its rows."""
        for table in self.query(DataTable):  # none when taken off before mounting
            widths = self._fit(table)
            if widths == self._widths:
                continue  # the Resize every new screen gets: the table drawn already stays
            self._widths = widths
            table.clear(columns=True)
            for header, width in zip(column_headers(), widths, strict=True):
                table.add_column(header, width=width)
            for row in self.rows:
                table.add_row(*row, height=None)  # a wrapped value makes its row taller

    async def show(self, today: Today) -> None:
        """The day's rows read again (an attempt settled here or elsewhere, one added).

        Cells that changed are redrawn in place; the table is built again only when rows came
        or went or a column must change its width. The cursor stays on the attempt it was on,
        by its journal id, not its position: a key pressed meanwhile was handled before this
        and moved from there, one pressed after moves from there too; none is dropped."""
        keep, at = self._cursor_id(), self._cursor_row()
        before = (bool(self.rows), self.error)
        old_rows, old_ids = self.rows, self.ids
        self.rows, self.attempts, self.ids = today.rows, list(today.attempts), list(today.ids)
        self.error, self.journal_version = today.error, today.version
        if (bool(self.rows), self.error) != before:  # the table comes, goes, or an error
            self._widths = []
            await self.recompose()
            self._fill()
        for title in self.query("#recall-title").results(Static):
            title.update(self._title())
        for table in self.query(DataTable):
            if self.ids == old_ids and self._fit(table) == self._widths:
                for r, (old, new) in enumerate(zip(old_rows, self.rows, strict=True)):
                    for c, (was, now) in enumerate(zip(old, new, strict=True)):
                        if not _same(was, now):
                            table.update_cell_at(Coordinate(r, c), now)
                continue
            self._widths = []
            self._fill()
            row = self.ids.index(keep) if keep in self.ids else min(at, len(self.rows) - 1)
            table.move_cursor(row=max(row, 0), animate=False)
        self.refresh_bindings()

    def _cursor_row(self) -> int:
        tables = self.query(DataTable)
        return tables.first().cursor_row if tables else 0

    def _cursor_id(self) -> int | None:
        """The journal id of the attempt under the cursor (None: no list)."""
        at = self._cursor_row()
        return self.ids[at] if self.rows and 0 <= at < len(self.ids) else None

    def _cursor_attempt(self) -> OpenAttempt | None:
        at = self._cursor_row()
        return self.attempts[at] if self.rows and 0 <= at < len(self.attempts) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "settle":  # shown while the list has open attempts; lit on one of them
            if not any(self.attempts):
                return False
            return True if self._cursor_attempt() is not None else None
        return True

    def action_settle(self) -> None:
        attempt = self._cursor_attempt()
        if attempt is not None:
            self.post_message(self.SettleRequested(attempt))

    def action_cursor_up(self) -> None:
        for table in self.query(DataTable):  # none while the list is built again
            table.action_cursor_up()
            self.refresh_bindings()

    def action_cursor_down(self) -> None:
        for table in self.query(DataTable):  # none while the list is built again
            table.action_cursor_down()
            self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss(None)
