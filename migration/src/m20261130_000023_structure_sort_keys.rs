//! Sort keys of structures (issue 11: `structures(orderBy:)`): the name and the commune
//! name, lower-cased and transliterated to ASCII, so that "Écouen" sorts among the "e" and
//! the order is the same on SQLite and PostgreSQL. On PostgreSQL the columns use the "C"
//! collation (byte order, as SQLite's BINARY), whatever the cluster's locale. Existing rows
//! are filled here.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    NameKey,
    CommuneKey,
    DepartmentCode,
    LabelDate,
}

/// Index of the name order.
const BY_NAME: &str = "idx_structure_name_key";
/// Index of the department order (department, then name).
const BY_DEPARTMENT: &str = "idx_structure_department_name_key";

/// The sort key of `text`, as the application computes it (`domain::text::sort_key`).
fn sort_key(text: &str) -> String {
    deunicode::deunicode(text.trim()).to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for column in [Structure::NameKey, Structure::CommuneKey] {
            let mut def = ColumnDef::new(column);
            def.string().not_null().default("");
            if postgres {
                def.extra("COLLATE \"C\"");
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .add_column(&mut def)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT s.id, s.name, COALESCE(c.name, '') AS commune \
                 FROM structure s LEFT JOIN commune c ON c.code = s.commune_code",
            ))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let name: String = row.try_get("", "name")?;
            let commune: String = row.try_get("", "commune")?;
            let update = Query::update()
                .table(Structure::Table)
                .value(Structure::NameKey, sort_key(&name))
                .value(Structure::CommuneKey, sort_key(&commune))
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(BY_NAME)
                    .table(Structure::Table)
                    .col(Structure::NameKey)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_DEPARTMENT)
                    .table(Structure::Table)
                    .col(Structure::DepartmentCode)
                    .col(Structure::NameKey)
                    .to_owned(),
            )
            .await?;
        let _ = Structure::LabelDate;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [BY_NAME, BY_DEPARTMENT] {
            manager
                .drop_index(Index::drop().name(index).table(Structure::Table).to_owned())
                .await?;
        }
        for column in [Structure::NameKey, Structure::CommuneKey] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Structure::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
