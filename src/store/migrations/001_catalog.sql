-- silkroute store, migration 1: listings, their localizations (with history),
-- glossaries and the translation memory.

CREATE TABLE listings (
    sku         TEXT PRIMARY KEY NOT NULL,
    source      TEXT NOT NULL,          -- where it came from: a catalog path or `form`
    json        TEXT NOT NULL,          -- the `Listing`, serde JSON
    updated_at  TEXT NOT NULL
);

CREATE TABLE localizations (
    sku         TEXT NOT NULL,
    market      TEXT NOT NULL,
    language    TEXT NOT NULL,
    json        TEXT NOT NULL,          -- the `LocalizedListing`, serde JSON
    status      TEXT NOT NULL,          -- draft | localized | needs_review | approved
    warnings    INTEGER NOT NULL,       -- number of warnings (details in json)
    model       TEXT NOT NULL,
    version     INTEGER NOT NULL,       -- 1 for the first, +1 on each replacement
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (sku, market)
);

CREATE TABLE localization_history (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL,
    market      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    json        TEXT NOT NULL,
    status      TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
CREATE INDEX localization_history_key ON localization_history (sku, market, version);

CREATE TABLE glossaries (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE glossary_entries (
    glossary_id INTEGER NOT NULL REFERENCES glossaries (id) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (glossary_id, source)
);

CREATE TABLE translation_memory (
    key_hash    TEXT PRIMARY KEY NOT NULL, -- sha256 of the key's parts
    source_lang TEXT NOT NULL,
    target_lang TEXT NOT NULL,
    market      TEXT NOT NULL,
    model       TEXT NOT NULL,
    source_text TEXT NOT NULL,
    target_text TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    hits        INTEGER NOT NULL DEFAULT 0
);
