-- silkroute store, migration 3: the shared job queue (a lease on each item a
-- worker holds, the workers themselves, the worker named in the item log), the
-- store's id, and the index feed: one row per change to a listing or a
-- localization, written by triggers, which the server follows to keep the
-- search index current. Sequence numbers come from one counter row, so they
-- are handed out in commit order.

ALTER TABLE job_items ADD COLUMN lease_owner TEXT;          -- the worker holding the item
ALTER TABLE job_items ADD COLUMN lease_until INTEGER;       -- ms since the epoch, database clock
ALTER TABLE job_item_log ADD COLUMN worker TEXT;            -- who started or committed it
CREATE INDEX job_items_queue ON job_items (job_id, row_index, market_index) WHERE status = 'pending';
CREATE INDEX job_items_lease ON job_items (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE workers (
    id           TEXT PRIMARY KEY NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    model        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    started_ms   INTEGER NOT NULL,       -- ms since the epoch, database clock
    seen_ms      INTEGER NOT NULL,       -- last heartbeat, same clock
    stopped      INTEGER NOT NULL DEFAULT 0,
    items_done   INTEGER NOT NULL DEFAULT 0,
    items_failed INTEGER NOT NULL DEFAULT 0,
    busy_ms      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE store_info (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO store_info (key, value) VALUES ('id', lower(hex(randomblob(16))));

CREATE TABLE index_feed (
    seq INTEGER PRIMARY KEY NOT NULL,
    sku TEXT NOT NULL
);
CREATE TABLE index_feed_head (
    id  INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq INTEGER NOT NULL
);
-- What is already stored enters the feed once, so a follower from 0 sees it all.
INSERT INTO index_feed (seq, sku)
    SELECT row_number() OVER (ORDER BY sku), sku
    FROM (SELECT sku FROM listings UNION SELECT sku FROM localizations);
INSERT INTO index_feed_head (id, seq) VALUES (1, (SELECT count(*) FROM index_feed));

CREATE TRIGGER listings_feed_insert AFTER INSERT ON listings BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, NEW.sku FROM index_feed_head;
END;
CREATE TRIGGER listings_feed_update AFTER UPDATE ON listings BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, NEW.sku FROM index_feed_head;
END;
CREATE TRIGGER listings_feed_delete AFTER DELETE ON listings BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, OLD.sku FROM index_feed_head;
END;
CREATE TRIGGER localizations_feed_insert AFTER INSERT ON localizations BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, NEW.sku FROM index_feed_head;
END;
CREATE TRIGGER localizations_feed_update AFTER UPDATE ON localizations BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, NEW.sku FROM index_feed_head;
END;
CREATE TRIGGER localizations_feed_delete AFTER DELETE ON localizations BEGIN
    UPDATE index_feed_head SET seq = seq + 1;
    INSERT INTO index_feed (seq, sku) SELECT seq, OLD.sku FROM index_feed_head;
END;
