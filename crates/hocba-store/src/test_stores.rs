//! Stores for the crate's own tests: every test that touches a database runs on both.

use crate::Store;

/// A migrated SQLite store in a temporary directory (kept alive by the returned handle), and a
/// PostgreSQL one in a schema of its own when `HOCBA_TEST_POSTGRES_URL` is set.
pub(crate) async fn migrated_stores(name: &str) -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join(format!("{name}.db")).display());
    let mut stores = vec![(Store::connect(&url).await.unwrap(), Some(dir))];
    if let Ok(url) = std::env::var("HOCBA_TEST_POSTGRES_URL") {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let schema = format!("{name}_{now:x}_{}_{n}", std::process::id());
        stores.push((Store::connect_in_schema(&url, Some(&schema)).await.unwrap(), None));
    }
    for (store, _) in &stores {
        store.migrate().await.unwrap();
    }
    stores
}
