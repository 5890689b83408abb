"""F2 lists today's attempts newest first, even those written within the same millisecond."""

from __future__ import annotations

from kiosk.journal import Journal
from kiosk.ui.screens.recall import recall_rows


def test_rows_of_the_same_millisecond_are_newest_first(journal: Journal) -> None:
    """The journal stamps rows to the millisecond; a till that redeems two offers in one
    visit can write both in the same one, and F2 must still put the later attempt on top."""
    for i in range(3):
        journal.begin(store="Test Store", terminal="Till 1", masked_card="•••• 0015",
                      contact_id="c1", offer_id=f"o{i}", promotion_id=None,
                      offer_name=f"Offer {i}", value_applied="10 %")
    rows = journal.rows()
    same = [r._replace(created_at=rows[0].created_at) for r in rows]
    names = [str(line[2]) for line in recall_rows(same, "Till 1")]
    assert names == ["Offer 2", "Offer 1", "Offer 0"]
