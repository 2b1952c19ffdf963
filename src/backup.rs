//! `omnisync backup PATH`: a consistent copy of the embedded hub database, taken while the server runs, and the key
//! file beside it. SQLite's `VACUUM INTO` copies one read transaction's view (WAL lets the server go on writing
//! meanwhile) into a new, compact file. Restoring is copying the two files back (docs/operations.md).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sea_orm::ConnectionTrait;

use crate::config::Settings;

/// What a backup wrote.
#[derive(Debug)]
pub struct Written {
    pub database: PathBuf,
    /// The key file copied beside it (none when the key comes from `OMNISYNC_SECRET_KEY`).
    pub key: Option<PathBuf>,
}

/// The key file beside a database file: `<stem>.key`, as the hub looks for it.
fn key_file_beside(database: &Path) -> Option<PathBuf> {
    let stem = database.file_stem()?.to_string_lossy().into_owned();
    Some(database.with_file_name(format!("{stem}.key")))
}

/// Copies the hub database named by `settings` to `target` (which must not exist), and its key file beside it.
pub async fn backup(settings: &Settings, target: &Path) -> anyhow::Result<Written> {
    let Some(source) = settings.sqlite_path() else {
        anyhow::bail!(
            "backup copies the embedded SQLite database; back up PostgreSQL with its own tools (pg_dump), \
             and keep OMNISYNC_SECRET_KEY apart from the dump"
        );
    };
    if !source.exists() {
        anyhow::bail!("there is no hub database at {}", source.display());
    }
    if target.exists() {
        anyhow::bail!("{} exists already: choose a new file", target.display());
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let target_text = target.to_str().context("the backup path must be valid UTF-8")?;
    let db = crate::startup::connect_database(settings).await?;
    // A string literal, quotes doubled: VACUUM INTO takes no bound parameter on every SQLite version.
    db.execute_unprepared(&format!("VACUUM INTO '{}'", target_text.replace('\'', "''")))
        .await
        .with_context(|| format!("copying the hub database to {}", target.display()))?;
    db.close().await.ok();
    let key = match (settings.secret_key.is_some(), settings.sibling_file(".key")) {
        (false, Some(key)) if key.exists() => {
            let copy = key_file_beside(target).context("the backup path has no file name")?;
            std::fs::copy(&key, &copy).with_context(|| format!("copying the key file to {}", copy.display()))?;
            Some(copy)
        }
        _ => None,
    };
    Ok(Written { database: target.to_owned(), key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_goes_where_the_hub_looks_for_it() {
        assert_eq!(key_file_beside(Path::new("/b/2026-12-05.db")), Some(PathBuf::from("/b/2026-12-05.key")));
        assert_eq!(key_file_beside(Path::new("omnisync.db")), Some(PathBuf::from("omnisync.key")));
    }
}
