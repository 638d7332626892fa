-- silkroute store, migration 2: batch jobs, their rows, items, rejects and an
-- append-only item log (one line per attempt start and per commit).

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL,          -- enqueued | running | paused | succeeded | failed | canceled
    catalog_path TEXT NOT NULL,
    format       TEXT NOT NULL,
    markets      TEXT NOT NULL,          -- JSON array of market ids, in order
    options      TEXT NOT NULL,          -- JSON object
    out_dir      TEXT NOT NULL,
    rows         INTEGER NOT NULL,       -- accepted catalog rows
    total_items  INTEGER NOT NULL,       -- rows x markets
    succeeded    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    needs_review INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE job_rows (
    job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    row_index   INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    sku         TEXT NOT NULL,
    listing     TEXT NOT NULL,           -- the `Listing`, serde JSON
    PRIMARY KEY (job_id, row_index)
);

CREATE TABLE job_items (
    job_id       INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    row_index    INTEGER NOT NULL,
    market_index INTEGER NOT NULL,
    market       TEXT NOT NULL,
    line         INTEGER NOT NULL,
    sku          TEXT NOT NULL,
    status       TEXT NOT NULL,          -- pending | succeeded | failed
    result       TEXT,                   -- the `LocalizedListing` JSON when succeeded
    error        TEXT,                   -- why, when failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    commits      INTEGER NOT NULL DEFAULT 0,
    committed_at TEXT,
    PRIMARY KEY (job_id, row_index, market_index)
);
CREATE INDEX job_items_pending ON job_items (job_id, status);

CREATE TABLE job_rejects (
    job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    file        TEXT NOT NULL,
    line        INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    reason      TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE job_item_log (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL,
    row_index    INTEGER NOT NULL,
    market_index INTEGER NOT NULL,
    event        TEXT NOT NULL,          -- start | commit
    at           TEXT NOT NULL
);
CREATE INDEX job_item_log_item ON job_item_log (job_id, row_index, market_index);
