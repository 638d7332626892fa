-- silkroute store (PostgreSQL), migration 3: the shared job queue, the
-- workers, the store's id and the index feed; as SQLite's migration 3. The
-- feed's triggers take the counter row's lock, so sequence numbers are handed
-- out in commit order (a follower never skips a change committed late), and
-- NOTIFY the follower at commit.

ALTER TABLE job_items ADD COLUMN lease_owner TEXT;
ALTER TABLE job_items ADD COLUMN lease_until BIGINT;
ALTER TABLE job_item_log ADD COLUMN worker TEXT;
CREATE INDEX job_items_queue ON job_items (job_id, row_index, market_index) WHERE status = 'pending';
CREATE INDEX job_items_lease ON job_items (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE workers (
    id           TEXT PRIMARY KEY NOT NULL,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    model        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    started_ms   BIGINT NOT NULL,
    seen_ms      BIGINT NOT NULL,
    stopped      BIGINT NOT NULL DEFAULT 0,
    items_done   BIGINT NOT NULL DEFAULT 0,
    items_failed BIGINT NOT NULL DEFAULT 0,
    busy_ms      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE store_info (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO store_info (key, value) VALUES ('id', md5(random()::text || clock_timestamp()::text));

CREATE TABLE index_feed (
    seq BIGINT PRIMARY KEY NOT NULL,
    sku TEXT NOT NULL
);
CREATE TABLE index_feed_head (
    id  BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO index_feed (seq, sku)
    SELECT row_number() OVER (ORDER BY sku), sku
    FROM (SELECT sku FROM listings UNION SELECT sku FROM localizations) AS s;
INSERT INTO index_feed_head (id, seq) VALUES (1, (SELECT count(*) FROM index_feed));

CREATE FUNCTION silkroute_index_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next BIGINT;
BEGIN
    UPDATE index_feed_head SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO next;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO index_feed (seq, sku) VALUES (next, OLD.sku);
    ELSE
        INSERT INTO index_feed (seq, sku) VALUES (next, NEW.sku);
    END IF;
    PERFORM pg_notify('silkroute_index_feed', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER listings_feed AFTER INSERT OR UPDATE OR DELETE ON listings
    FOR EACH ROW EXECUTE FUNCTION silkroute_index_feed();
CREATE TRIGGER localizations_feed AFTER INSERT OR UPDATE OR DELETE ON localizations
    FOR EACH ROW EXECUTE FUNCTION silkroute_index_feed();
