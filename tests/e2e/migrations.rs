//! Migrations run up, down and up again on both backends.

use crate::helpers::TestApp;

async fn migrations_revert_and_reapply(app: TestApp) {
    app.store.migrate_down().await.expect("down");
    app.store.migrate().await.expect("up again");
    assert!(!app.store.categories().await.unwrap().is_empty());
    assert_eq!(app.store.verify_audit_chain().await.unwrap().events, 0);
}

async fn migrating_twice_changes_nothing(app: TestApp) {
    let before = app.store.categories().await.unwrap();
    app.store.migrate().await.expect("second migrate");
    assert_eq!(app.store.categories().await.unwrap(), before);
}

on_both_backends!(migrations_revert_and_reapply, migrating_twice_changes_nothing);
