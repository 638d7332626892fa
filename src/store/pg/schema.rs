//! PostgreSQL's numbered migrations, the same steps as SQLite's
//! (`../schema.rs`), kept in a one-row `silkroute_schema` table and applied in
//! one transaction under an advisory lock: processes starting together migrate
//! once, and a database written by a newer silkroute is refused untouched.

use postgres::Client;

/// The migrations, in order, one for each of SQLite's.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_catalog.sql"),
    include_str!("migrations/002_jobs.sql"),
    include_str!("migrations/003_queue.sql"),
    include_str!("migrations/004_cancelled.sql"),
];

const _: () = assert!(
    MIGRATIONS.len() as u32 == crate::store::SCHEMA_VERSION,
    "every SQLite migration has its PostgreSQL twin"
);

/// The advisory lock key migrations hold ("silkrout" in ASCII).
const MIGRATION_LOCK: i64 = 0x73_69_6c_6b_72_6f_75_74;

/// What migrating found, for the caller's error.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The database's version is newer than this build knows.
    TooNew(u32),
    /// The server failed.
    Pg(postgres::Error),
}

impl From<postgres::Error> for MigrateError {
    fn from(e: postgres::Error) -> Self {
        MigrateError::Pg(e)
    }
}

/// The version stored (0 for a database silkroute never touched).
pub(crate) fn version(c: &mut impl postgres::GenericClient) -> Result<u32, postgres::Error> {
    let exists: bool = c
        .query_one("SELECT to_regclass('silkroute_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i64> = c
        .query_opt("SELECT version FROM silkroute_schema", &[])?
        .map(|r| r.get(0));
    Ok(super::u32_of(v.unwrap_or(0)))
}

/// Bring the schema up to date in one transaction; returns the version found.
pub(crate) fn migrate(c: &mut Client) -> Result<u32, MigrateError> {
    migrate_to(c, MIGRATIONS.len() as u32)
}

/// Bring the schema up to `target` in one transaction.
pub(crate) fn migrate_to(c: &mut Client, target: u32) -> Result<u32, MigrateError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('silkroute_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        tx.batch_execute("CREATE TABLE silkroute_schema (version BIGINT NOT NULL)")?;
    }
    let found = version(&mut tx)?;
    if found > MIGRATIONS.len() as u32 {
        return Err(MigrateError::TooNew(found));
    }
    if found == 0
        && tx
            .query_opt("SELECT 1 FROM silkroute_schema", &[])?
            .is_none()
    {
        tx.execute("INSERT INTO silkroute_schema (version) VALUES (0)", &[])?;
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.batch_execute(sql)?;
        tx.execute(
            "UPDATE silkroute_schema SET version = $1",
            &[&((i + 1) as i64)],
        )?;
    }
    tx.commit()?;
    Ok(found)
}
