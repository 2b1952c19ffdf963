use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Warehouses::Table)
                    .col(big_pk_auto(Warehouses::Id))
                    .col(text(Warehouses::Name))
                    .col(text_null(Warehouses::Code))
                    .col(text_null(Warehouses::Address))
                    .col(boolean(Warehouses::IsDefault).default(false))
                    .col(timestamp_with_time_zone(Warehouses::CreatedAt))
                    .col(timestamp_with_time_zone(Warehouses::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // At most one default warehouse (the seed below is it). sea-query writes a partial index's WHERE for both
        // SQLite and PostgreSQL.
        manager
            .create_index(
                Index::create()
                    .name("idx_warehouses_one_default")
                    .table(Warehouses::Table)
                    .col(Warehouses::IsDefault)
                    .unique()
                    .and_where(Expr::col(Warehouses::IsDefault))
                    .to_owned(),
            )
            .await?;
        // SQLite stores times as text: write the seed's in the RFC 3339 form sqlx writes, so that ordering by text
        // stays ordering by time.
        let now = match manager.get_database_backend() {
            sea_orm::DbBackend::Sqlite => Expr::cust("strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"),
            _ => Expr::current_timestamp(),
        };
        let seed = Query::insert()
            .into_table(Warehouses::Table)
            .columns([
                Warehouses::Name,
                Warehouses::Code,
                Warehouses::IsDefault,
                Warehouses::CreatedAt,
                Warehouses::UpdatedAt,
            ])
            .values(["Kho tổng".into(), "MAIN".into(), true.into(), now.clone(), now])
            .map_err(|e| DbErr::Migration(format!("seeding the default warehouse: {e}")))?
            .to_owned();
        manager.exec_stmt(seed).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Warehouses::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Warehouses {
    Table,
    Id,
    Name,
    Code,
    Address,
    IsDefault,
    CreatedAt,
    UpdatedAt,
}
