-- kiosk fleet: every till's redemption journal in one PostgreSQL database.
--
-- Created by `kiosk journal push --init` (or `psql -f fleet.sql`). Idempotent: every statement
-- can run again (after an upgrade, or from two places at once), and nothing here drops data.
-- The push writes only kiosk_tills and kiosk_redemptions; the views are for the back office.

-- Two --init runs at once must not race on CREATE ... IF NOT EXISTS.
SELECT pg_advisory_xact_lock(hashtext('kiosk fleet schema'));

-- Settings for the views, one row; change them with UPDATE.
CREATE TABLE IF NOT EXISTS kiosk_fleet_settings (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    -- A pending/unknown attempt younger than this may still settle on its own: the kiosk
    -- keeps checking for KIOSK_REDEEM_SETTLE_WINDOW (5 minutes) and tills push every 5 (+1).
    settle_window interval NOT NULL DEFAULT '15 minutes',
    -- The chain's business day for the per-store-and-day view.
    time_zone text NOT NULL DEFAULT 'Europe/Stockholm'
);
INSERT INTO kiosk_fleet_settings DEFAULT VALUES ON CONFLICT DO NOTHING;

-- The order of journal states: a pushed row only ever moves to a later state (or, in the same
-- state, to a later updated_at), so a slow or repeated push can never take a row back.
--   pending (0)  committed before the POST
--   unknown (1)  no trustworthy answer yet
--   redeemed, rejected, verified-redeemed, verified-not-redeemed (2)  final
-- A state this file doesn't know (a newer kiosk) counts as final.
CREATE OR REPLACE FUNCTION kiosk_state_rank(state text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE state WHEN 'pending' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END)::smallint $$;

-- The same order for a reward voucher's undo (its reactivation after a cancelled sale):
--   none (-1) < pending (0) < unknown (1) < reactivated, rejected, verified-reactivated,
--   verified-not-reactivated (2)
-- After the redemption itself, a row's changes are ordered by its undo: a later attempt (an
-- undo that was refused or proved not to happen may be tried again), then this rank, then the
-- undo's updated_at. A push never takes a row back on either.
CREATE OR REPLACE FUNCTION kiosk_reactivation_rank(reactivation text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE WHEN reactivation IS NULL THEN -1 WHEN reactivation = 'pending' THEN 0
                       WHEN reactivation = 'unknown' THEN 1 ELSE 2 END)::smallint $$;

-- A redeemed voucher given back: Engage made it usable again, so it isn't redeemed any more.
CREATE OR REPLACE FUNCTION kiosk_given_back(reactivation text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(reactivation IN ('reactivated', 'verified-reactivated'), false) $$;

-- One row per till. The identity is a UUID the till made once, inside its journal; store and
-- terminal are attributes (the names it last pushed with), so a rename doesn't split history.
CREATE TABLE IF NOT EXISTS kiosk_tills (
    till_id uuid PRIMARY KEY,
    store text NOT NULL,
    terminal text NOT NULL,
    kiosk_version text,
    first_push_at timestamptz NOT NULL DEFAULT now(),
    last_push_at timestamptz NOT NULL DEFAULT now(),
    -- the till's highest change number the database holds (its outbox high-water mark)
    last_change bigint NOT NULL DEFAULT 0
);

-- One row per redemption attempt, keyed by (till, the journal's own row id). store and
-- terminal are the names the till had when the attempt was made.
CREATE TABLE IF NOT EXISTS kiosk_redemptions (
    till_id uuid NOT NULL REFERENCES kiosk_tills (till_id),
    local_id bigint NOT NULL,
    store text NOT NULL,
    terminal text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    masked_card text NOT NULL,
    contact_id text NOT NULL,
    offer_id text NOT NULL,
    promotion_id text,
    offer_name text NOT NULL,
    value_applied text NOT NULL,
    state text NOT NULL,
    engage_code text,
    note text,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (till_id, local_id)
);
-- What was redeemed, and a voucher's undo (kiosk with journal schema 5). Added to tables made
-- before them, so a database from an older fleet.sql keeps its rows: those are promotions
-- without an undo, as the tills that pushed them had nothing else.
--   kind                     'promotion' (an offer's instance) or 'voucher' (a reward voucher)
--   reactivation             the latest undo's state, NULL if never undone
--   reactivation_attempts    undo attempts so far (a refused one may be tried again)
--   reactivation_updated_at  when the latest undo last changed
ALTER TABLE kiosk_redemptions ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'promotion';
ALTER TABLE kiosk_redemptions ADD COLUMN IF NOT EXISTS reactivation text;
ALTER TABLE kiosk_redemptions
    ADD COLUMN IF NOT EXISTS reactivation_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE kiosk_redemptions ADD COLUMN IF NOT EXISTS reactivation_updated_at timestamptz;

CREATE INDEX IF NOT EXISTS kiosk_redemptions_created ON kiosk_redemptions (created_at);
CREATE INDEX IF NOT EXISTS kiosk_redemptions_store ON kiosk_redemptions (store, created_at);
CREATE INDEX IF NOT EXISTS kiosk_redemptions_offer ON kiosk_redemptions (promotion_id);
CREATE INDEX IF NOT EXISTS kiosk_redemptions_open ON kiosk_redemptions (updated_at)
    WHERE state IN ('pending', 'unknown');
CREATE INDEX IF NOT EXISTS kiosk_redemptions_open_undo
    ON kiosk_redemptions (reactivation_updated_at) WHERE reactivation IN ('pending', 'unknown');

-- The views below only ever gain columns at the end (CREATE OR REPLACE VIEW keeps the old
-- ones in place), so queries and views built on them keep working after an upgrade.

-- Per store and business day: attempts and how they ended. "redeemed" counts what stayed
-- redeemed: a voucher given back (reactivated after a cancelled sale) is in "given_back"
-- instead; one whose undo is still open counts as redeemed until the undo is proved.
-- promotions_redeemed + vouchers_redeemed = redeemed.
CREATE OR REPLACE VIEW kiosk_store_day AS
SELECT r.store,
       (r.created_at AT TIME ZONE s.time_zone)::date AS day,
       count(*) AS attempts,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND NOT kiosk_given_back(r.reactivation)) AS redeemed,
       count(*) FILTER (WHERE r.state = 'rejected') AS rejected,
       count(*) FILTER (WHERE r.state = 'verified-not-redeemed') AS not_redeemed,
       count(*) FILTER (WHERE r.state IN ('pending', 'unknown')) AS open,
       count(DISTINCT r.till_id) AS tills,
       count(DISTINCT r.contact_id) AS members,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND kiosk_given_back(r.reactivation)) AS given_back,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND NOT kiosk_given_back(r.reactivation)
                        AND r.kind = 'promotion') AS promotions_redeemed,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND NOT kiosk_given_back(r.reactivation)
                        AND r.kind = 'voucher') AS vouchers_redeemed
FROM kiosk_redemptions r CROSS JOIN kiosk_fleet_settings s
GROUP BY r.store, 2;

-- Per offer, one row per kind: a promotion by its template (promotion_id; an instance id is
-- one member's copy); a reward voucher has no template, so vouchers go by their name (e.g.
-- "Bonus check 100 kr"), promotion_id empty. "redeemed" and "given_back" as in kiosk_store_day.
CREATE OR REPLACE VIEW kiosk_offer_totals AS
SELECT r.promotion_id,
       min(r.offer_name) AS offer_name,
       count(*) AS attempts,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND NOT kiosk_given_back(r.reactivation)) AS redeemed,
       count(*) FILTER (WHERE r.state = 'rejected') AS rejected,
       count(*) FILTER (WHERE r.state IN ('pending', 'unknown')) AS open,
       count(DISTINCT r.store) AS stores,
       min(r.created_at) AS first_attempt,
       max(r.created_at) AS last_attempt,
       r.kind,
       count(*) FILTER (WHERE r.state IN ('redeemed', 'verified-redeemed')
                        AND kiosk_given_back(r.reactivation)) AS given_back
FROM kiosk_redemptions r
GROUP BY r.kind, r.promotion_id, (CASE WHEN r.kind = 'voucher' THEN r.offer_name END);

-- Needs checking: attempts still pending or unknown after the settle window, and vouchers
-- whose undo (reactivation) is still pending or unknown after it. Check each in Engage (is the
-- offer instance still active for the member? is the voucher usable again?) and with the
-- store; an attempt is then settled on its till (`kiosk journal resolve`), and its next push
-- takes it off this view. "waiting" is since the open part (the attempt or its undo) last changed.
CREATE OR REPLACE VIEW kiosk_needs_checking AS
SELECT r.store, r.terminal, r.till_id, r.local_id, r.created_at, r.updated_at,
       now() - (CASE WHEN r.state IN ('pending', 'unknown') THEN r.updated_at
                     ELSE r.reactivation_updated_at END) AS waiting,
       r.state, r.engage_code, r.masked_card, r.contact_id,
       r.offer_id, r.promotion_id, r.offer_name, r.value_applied, r.note,
       t.last_push_at AS till_last_push,
       r.kind, r.reactivation, r.reactivation_updated_at
FROM kiosk_redemptions r
JOIN kiosk_tills t USING (till_id)
CROSS JOIN kiosk_fleet_settings s
WHERE (r.state IN ('pending', 'unknown') AND r.updated_at < now() - s.settle_window)
   OR (r.reactivation IN ('pending', 'unknown')
       AND r.reactivation_updated_at < now() - s.settle_window);
