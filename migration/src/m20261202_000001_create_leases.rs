//! Named leases: a short, renewable claim on some work that must not run twice at once across processes (the
//! stock push of one channel). Taken with one atomic upsert, so it works alike on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(text(Leases::Name).primary_key())
                    .col(text(Leases::Owner))
                    .col(timestamp_with_time_zone(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Leases::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Leases {
    Table,
    Name,
    Owner,
    ExpiresAt,
}
