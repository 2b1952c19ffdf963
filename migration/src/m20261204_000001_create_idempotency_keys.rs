//! Idempotency keys of mutations (`@idempotent(key:)`): the first result of each key, per API token, so a client
//! that retries a write gets that result again instead of a second write.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(big_pk_auto(IdempotencyKeys::Id))
                    .col(big_integer(IdempotencyKeys::TokenId))
                    .col(text(IdempotencyKeys::Key))
                    .col(text(IdempotencyKeys::Field))
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    .col(json_null(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(IdempotencyKeys::CompletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_idempotency_keys_token_key")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::TokenId)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_created_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum IdempotencyKeys {
    Table,
    Id,
    TokenId,
    Key,
    Field,
    Fingerprint,
    Response,
    CreatedAt,
    CompletedAt,
}
