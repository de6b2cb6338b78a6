//! Opening the database for the worker. The worker never migrates: in production the one-off
//! `upc-api migrate` step does, so several workers never race to migrate.

use anyhow::{Context, bail};
use api::config::Settings;
use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

/// Connect and check that every migration has been applied.
pub async fn open_migrated(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = api::db::connect(settings)
        .await
        .context("opening the database")?;
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .context("reading the migration state")?;
    if !pending.is_empty() {
        bail!(
            "the database has {} pending migration(s); run `upc-api migrate` first",
            pending.len()
        );
    }
    Ok(db)
}
