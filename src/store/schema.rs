//! Numbered schema migrations kept in `PRAGMA user_version`, applied at open in one
//! IMMEDIATE transaction. A database written by a newer silkroute is refused.

use rusqlite::{Connection, TransactionBehavior};

/// The migrations, in order: migration `i` (0-based) moves the schema from
/// version `i` to `i + 1`. Append only; never edit a released one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_catalog.sql"),
    include_str!("migrations/002_jobs.sql"),
    include_str!("migrations/003_queue.sql"),
    include_str!("migrations/004_cancelled.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// What migrating found, for the caller's error.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The file's version is newer than this build knows.
    TooNew(u32),
    /// SQLite failed.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sqlite(e)
    }
}

/// The version stored in the file.
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))
}

/// Bring the schema up to `target` (at most [`SCHEMA_VERSION`]) in one IMMEDIATE
/// transaction: either every step applies or none does. Returns the version
/// found before migrating.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, MigrateError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(MigrateError::TooNew(found));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
    }
    tx.commit()?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table, index and trigger definition, sorted, so two schemas compare.
    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare("SELECT type, name, ifnull(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn upgraded_schema_equals_fresh() {
        let mut fresh = Connection::open_in_memory().unwrap();
        assert_eq!(migrate_to(&mut fresh, SCHEMA_VERSION).unwrap(), 0);
        assert_eq!(version(&fresh).unwrap(), SCHEMA_VERSION);

        // Each older version, with a row in it, upgraded to the newest.
        for start in 1..SCHEMA_VERSION {
            let mut old = Connection::open_in_memory().unwrap();
            migrate_to(&mut old, start).unwrap();
            assert_eq!(version(&old).unwrap(), start);
            old.execute(
                "INSERT INTO listings (sku, source, json, updated_at) VALUES ('A', 'form', '{}', 'now')",
                [],
            )
            .unwrap();
            assert_eq!(migrate_to(&mut old, SCHEMA_VERSION).unwrap(), start);
            assert_eq!(schema(&old), schema(&fresh), "upgrade from v{start}");
            let kept: String = old
                .query_row("SELECT sku FROM listings", [], |r| r.get(0))
                .unwrap();
            assert_eq!(kept, "A", "the upgrade keeps existing rows");
        }
    }

    #[test]
    fn a_job_cancelled_before_migration_4_keeps_its_state_in_the_one_spelling() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 3).unwrap();
        c.execute(
            "INSERT INTO jobs (status, catalog_path, format, markets, options, out_dir, rows, \
             total_items, created_at, updated_at) \
             VALUES ('canceled', 'c.csv', 'csv', '[]', '{}', 'out', 0, 0, 'now', 'now')",
            [],
        )
        .unwrap();
        migrate_to(&mut c, SCHEMA_VERSION).unwrap();
        let status: String = c
            .query_row("SELECT status FROM jobs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(status, "cancelled");
        assert_eq!(
            crate::store::JobStatus::parse(&status),
            Some(crate::store::JobStatus::Cancelled)
        );
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, SCHEMA_VERSION).unwrap();
        let before = schema(&c);
        assert_eq!(migrate_to(&mut c, SCHEMA_VERSION).unwrap(), SCHEMA_VERSION);
        assert_eq!(schema(&c), before);
    }

    #[test]
    fn newer_database_is_refused_untouched() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate_to(&mut c, SCHEMA_VERSION),
            Err(MigrateError::TooNew(v)) if v == SCHEMA_VERSION + 1
        ));
        assert!(schema(&c).is_empty(), "nothing was created");
    }

    #[test]
    fn a_failing_migration_rolls_back_every_step() {
        let mut c = Connection::open_in_memory().unwrap();
        // A table that migration 2 will try to create: the step fails, and
        // migration 1 (in the same transaction) is rolled back with it.
        c.execute_batch("CREATE TABLE jobs (x INTEGER)").unwrap();
        assert!(migrate_to(&mut c, SCHEMA_VERSION).is_err());
        assert_eq!(version(&c).unwrap(), 0);
        let tables: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'listings'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }
}
