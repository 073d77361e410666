//! The registry's core tables: catalogue, institutions, officials, classes, completions,
//! credentials for the API, the audit chain and the record-read log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Categories {
    Table,
    Code,
    Family,
    TitleVi,
    TitleEn,
    ValidFrom,
    ValidTo,
    LegalBasis,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
    Code,
    Name,
    Kind,
    ParentAuthority,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccreditationScopes {
    Table,
    Id,
    InstitutionId,
    CategoryCode,
    ValidFrom,
    ValidTo,
    Decision,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
    Code,
    TitleVi,
    TitleEn,
    CategoryCode,
    MinDays,
    MinPeriods,
    PeriodsPerDay,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Classes {
    Table,
    Id,
    InstitutionId,
    ProgramId,
    Code,
    StartsOn,
    EndsOn,
    Place,
    Mode,
    Seats,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Officials {
    Table,
    Id,
    NationalId,
    FullName,
    NameKey,
    DateOfBirth,
    Gender,
    EthnicityCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Employments {
    Table,
    Id,
    OfficialId,
    AgencyCode,
    AgencyName,
    Level,
    RankCode,
    PositionTitle,
    LeadershipLevel,
    LeadershipGroup,
    ValidFrom,
    ValidTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Completions {
    Table,
    Id,
    OfficialId,
    ProgramId,
    InstitutionId,
    ClassId,
    StartedOn,
    EndedOn,
    DurationDays,
    DurationPeriods,
    Outcome,
    Score,
    Evidence,
    PostedBy,
    PostedAt,
    SupersedesId,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    TokenHash,
    Role,
    InstitutionId,
    Label,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Seq,
    OccurredAt,
    Actor,
    Action,
    SubjectType,
    SubjectId,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum RecordReads {
    Table,
    Id,
    OfficialId,
    Reader,
    Purpose,
    ReadAt,
}

pub(crate) fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().not_null().primary_key().take()
}

pub(crate) fn required(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).not_null().take()
}

pub(crate) fn optional(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).null().take()
}

pub(crate) fn foreign_key(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

/// Tables whose rows are facts: corrections and revocations are new rows, never edits.
const APPEND_ONLY: [&str; 4] = ["completions", "audit_events", "record_reads", "employments"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(required(Categories::Code).string_len(32).primary_key())
                    .col(required(Categories::Family).string_len(40))
                    .col(required(Categories::TitleVi).string_len(300))
                    .col(required(Categories::TitleEn).string_len(300))
                    .col(required(Categories::ValidFrom).date())
                    .col(optional(Categories::ValidTo).date())
                    .col(required(Categories::LegalBasis).string_len(300))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Institutions::Table)
                    .col(id(Institutions::Id))
                    .col(required(Institutions::Code).string_len(32).unique_key())
                    .col(required(Institutions::Name).string_len(200))
                    .col(required(Institutions::Kind).string_len(40))
                    .col(optional(Institutions::ParentAuthority).string_len(200))
                    .col(required(Institutions::Status).string_len(16))
                    .col(required(Institutions::CreatedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccreditationScopes::Table)
                    .col(id(AccreditationScopes::Id))
                    .col(required(AccreditationScopes::InstitutionId).uuid())
                    .col(required(AccreditationScopes::CategoryCode).string_len(32))
                    .col(required(AccreditationScopes::ValidFrom).date())
                    .col(optional(AccreditationScopes::ValidTo).date())
                    .col(optional(AccreditationScopes::Decision).string_len(300))
                    .col(required(AccreditationScopes::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (AccreditationScopes::Table, AccreditationScopes::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (AccreditationScopes::Table, AccreditationScopes::CategoryCode),
                        (Categories::Table, Categories::Code),
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            AccreditationScopes::Table,
            "scopes_by_institution",
            [AccreditationScopes::InstitutionId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Programs::Table)
                    .col(id(Programs::Id))
                    .col(required(Programs::Code).string_len(40).unique_key())
                    .col(required(Programs::TitleVi).string_len(300))
                    .col(optional(Programs::TitleEn).string_len(300))
                    .col(required(Programs::CategoryCode).string_len(32))
                    .col(required(Programs::MinDays).integer())
                    .col(optional(Programs::MinPeriods).integer())
                    .col(required(Programs::PeriodsPerDay).small_integer())
                    .col(required(Programs::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (Programs::Table, Programs::CategoryCode),
                        (Categories::Table, Categories::Code),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Classes::Table)
                    .col(id(Classes::Id))
                    .col(required(Classes::InstitutionId).uuid())
                    .col(required(Classes::ProgramId).uuid())
                    .col(required(Classes::Code).string_len(40))
                    .col(required(Classes::StartsOn).date())
                    .col(required(Classes::EndsOn).date())
                    .col(optional(Classes::Place).string_len(200))
                    .col(required(Classes::Mode).string_len(16))
                    .col(optional(Classes::Seats).integer())
                    .col(required(Classes::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (Classes::Table, Classes::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Classes::Table, Classes::ProgramId),
                        (Programs::Table, Programs::Id),
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("classes_code_per_institution")
                    .table(Classes::Table)
                    .col(Classes::InstitutionId)
                    .col(Classes::Code)
                    .unique()
                    .take(),
            )
            .await?;
        create_index(manager, Classes::Table, "classes_by_program", [Classes::ProgramId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(Officials::Table)
                    .col(id(Officials::Id))
                    .col(required(Officials::NationalId).string_len(12).unique_key())
                    .col(required(Officials::FullName).string_len(100))
                    .col(required(Officials::NameKey).string_len(100))
                    .col(required(Officials::DateOfBirth).date())
                    .col(required(Officials::Gender).string_len(8))
                    .col(optional(Officials::EthnicityCode).small_integer())
                    .col(required(Officials::CreatedAt).timestamp_with_time_zone())
                    .take(),
            )
            .await?;
        create_index(manager, Officials::Table, "officials_by_name_key", [Officials::NameKey])
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Employments::Table)
                    .col(id(Employments::Id))
                    .col(required(Employments::OfficialId).uuid())
                    .col(required(Employments::AgencyCode).string_len(32))
                    .col(required(Employments::AgencyName).string_len(200))
                    .col(required(Employments::Level).string_len(16))
                    .col(optional(Employments::RankCode).string_len(20))
                    .col(optional(Employments::PositionTitle).string_len(200))
                    .col(optional(Employments::LeadershipLevel).string_len(32))
                    .col(optional(Employments::LeadershipGroup).string_len(2))
                    .col(required(Employments::ValidFrom).date())
                    .col(optional(Employments::ValidTo).date())
                    .col(required(Employments::CreatedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (Employments::Table, Employments::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            Employments::Table,
            "employments_by_official",
            [Employments::OfficialId],
        )
        .await?;
        create_index(
            manager,
            Employments::Table,
            "employments_by_agency",
            [Employments::AgencyCode],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Completions::Table)
                    .col(id(Completions::Id))
                    .col(required(Completions::OfficialId).uuid())
                    .col(required(Completions::ProgramId).uuid())
                    .col(required(Completions::InstitutionId).uuid())
                    .col(optional(Completions::ClassId).uuid())
                    .col(required(Completions::StartedOn).date())
                    .col(required(Completions::EndedOn).date())
                    .col(required(Completions::DurationDays).integer())
                    .col(optional(Completions::DurationPeriods).integer())
                    .col(required(Completions::Outcome).string_len(16))
                    .col(optional(Completions::Score).double())
                    .col(optional(Completions::Evidence).string_len(500))
                    .col(required(Completions::PostedBy).uuid())
                    .col(required(Completions::PostedAt).timestamp_with_time_zone())
                    .col(optional(Completions::SupersedesId).uuid())
                    .foreign_key(&mut foreign_key(
                        (Completions::Table, Completions::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Completions::Table, Completions::ProgramId),
                        (Programs::Table, Programs::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Completions::Table, Completions::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Completions::Table, Completions::ClassId),
                        (Classes::Table, Classes::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Completions::Table, Completions::SupersedesId),
                        (Completions::Table, Completions::Id),
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            Completions::Table,
            "completions_by_official",
            [Completions::OfficialId],
        )
        .await?;
        create_index(
            manager,
            Completions::Table,
            "completions_by_institution",
            [Completions::InstitutionId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(required(ApiTokens::TokenHash).string_len(64).unique_key())
                    .col(required(ApiTokens::Role).string_len(16))
                    .col(optional(ApiTokens::InstitutionId).uuid())
                    .col(required(ApiTokens::Label).string_len(200))
                    .col(required(ApiTokens::CreatedAt).timestamp_with_time_zone())
                    .col(optional(ApiTokens::RevokedAt).timestamp_with_time_zone())
                    .col(optional(ApiTokens::LastUsedAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (ApiTokens::Table, ApiTokens::InstitutionId),
                        (Institutions::Table, Institutions::Id),
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(required(AuditEvents::Seq).big_integer().auto_increment().primary_key())
                    .col(required(AuditEvents::OccurredAt).timestamp_with_time_zone())
                    .col(required(AuditEvents::Actor).string_len(80))
                    .col(required(AuditEvents::Action).string_len(80))
                    .col(required(AuditEvents::SubjectType).string_len(40))
                    .col(required(AuditEvents::SubjectId).string_len(64))
                    // Text, not jsonb: the hash chain covers these exact bytes, and jsonb reorders keys.
                    .col(required(AuditEvents::Details).text())
                    // Unique: two events can never claim the same predecessor, so the chain cannot fork.
                    .col(required(AuditEvents::PrevHash).string_len(64).unique_key())
                    .col(required(AuditEvents::Hash).string_len(64).unique_key())
                    .take(),
            )
            .await?;
        create_index(
            manager,
            AuditEvents::Table,
            "audit_by_subject",
            [AuditEvents::SubjectType, AuditEvents::SubjectId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecordReads::Table)
                    .col(required(RecordReads::Id).big_integer().auto_increment().primary_key())
                    .col(required(RecordReads::OfficialId).uuid())
                    .col(required(RecordReads::Reader).string_len(80))
                    .col(required(RecordReads::Purpose).string_len(120))
                    .col(required(RecordReads::ReadAt).timestamp_with_time_zone())
                    .foreign_key(&mut foreign_key(
                        (RecordReads::Table, RecordReads::OfficialId),
                        (Officials::Table, Officials::Id),
                    ))
                    .take(),
            )
            .await?;
        create_index(
            manager,
            RecordReads::Table,
            "record_reads_by_official",
            [RecordReads::OfficialId],
        )
        .await?;

        for table in APPEND_ONLY {
            forbid_update_and_delete(manager, table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS hocba_append_only() CASCADE").await?;
        }
        // Reverse order of creation, so that no foreign key points at a dropped table.
        for table in [
            "record_reads",
            "audit_events",
            "api_tokens",
            "completions",
            "employments",
            "officials",
            "classes",
            "programs",
            "accreditation_scopes",
            "institutions",
            "categories",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(table)).take()).await?;
        }
        Ok(())
    }
}

pub(crate) async fn create_index<const N: usize>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    name: &str,
    columns: [impl IntoIden; N],
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).take();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}

pub(crate) async fn drop_index(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    name: &str,
) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name(name).table(table).to_owned()).await
}

/// Makes the database itself refuse to edit or delete facts, so that no code path (or operator
/// with a SQL prompt who forgets) can rewrite history.
pub(crate) async fn forbid_update_and_delete(
    manager: &SchemaManager<'_>,
    table: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(
                "CREATE OR REPLACE FUNCTION hocba_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'hocba: % is append-only', TG_TABLE_NAME; END $$",
            )
            .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                 FOR EACH ROW EXECUTE FUNCTION hocba_append_only()"
            ))
            .await?;
        }
        _ => {
            for operation in ["UPDATE", "DELETE"] {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_no_{op} BEFORE {operation} ON {table}
                     BEGIN SELECT RAISE(ABORT, 'hocba: {table} is append-only'); END",
                    op = operation.to_lowercase()
                ))
                .await?;
            }
        }
    }
    Ok(())
}

/// Replaces `from` by `to` in the stored definition of SQLite's `table`, as SQLite documents for
/// the changes `ALTER TABLE` cannot make, such as dropping a `NOT NULL`
/// (<https://sqlite.org/lang_altertable.html#otheralter>): no stored row changes, and the schema
/// version is bumped so that every open connection reloads the definition. Rebuilding the table
/// instead would need foreign keys off, which cannot be done inside a migration's transaction;
/// a migration using this should ask for one (`use_transaction`), so that the definition and its
/// version change together or not at all.
pub(crate) async fn edit_sqlite_definition(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let version = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA schema_version"))
        .await?
        .ok_or_else(|| DbErr::Migration("SQLite reported no schema version".to_owned()))?
        .try_get_by_index::<i64>(0)?;
    db.execute_unprepared("PRAGMA writable_schema = ON").await?;
    let edited = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_schema SET sql = replace(sql, ?, ?)
             WHERE type = 'table' AND name = ? AND instr(sql, ?) > 0",
            [from.into(), to.into(), table.into(), from.into()],
        ))
        .await?
        .rows_affected();
    db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
    db.execute_unprepared("PRAGMA writable_schema = RESET").await?;
    if edited != 1 {
        return Err(DbErr::Migration(format!("the definition of {table} does not hold {from}")));
    }
    Ok(())
}

/// Lets `column` of `table` hold NULL, or no longer: `ALTER COLUMN … DROP/SET NOT NULL` on
/// PostgreSQL, an edit of the table's definition on SQLite ([`edit_sqlite_definition`]), where
/// `sqlite_type` is the column's type as that definition spells it.
pub(crate) async fn set_nullable(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    sqlite_type: &str,
    nullable: bool,
) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            let change = if nullable { "DROP" } else { "SET" };
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} ALTER COLUMN {column} {change} NOT NULL"
                ))
                .await?;
            Ok(())
        }
        _ => {
            let required = format!(r#""{column}" {sqlite_type} NOT NULL"#);
            let optional = format!(r#""{column}" {sqlite_type}"#);
            let (from, to) = if nullable { (required, optional) } else { (optional, required) };
            edit_sqlite_definition(manager, table, &from, &to).await
        }
    }
}

/// Refuses to revert a migration while `query` finds a row that reverting would lose or break.
pub(crate) async fn refuse_while_any(
    manager: &SchemaManager<'_>,
    query: &str,
    reason: &str,
) -> Result<(), DbErr> {
    let found = manager
        .get_connection()
        .query_one_raw(Statement::from_string(manager.get_database_backend(), query))
        .await?;
    match found {
        Some(_) => Err(DbErr::Migration(reason.to_owned())),
        None => Ok(()),
    }
}
