use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(text(ApiTokens::Name))
                    .col(string_len(ApiTokens::TokenHash, 64))
                    .col(string_len(ApiTokens::TokenPrefix, 12))
                    .col(string(ApiTokens::Scope))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_api_tokens_token_hash")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiTokens::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum ApiTokens {
    Table,
    Id,
    Name,
    TokenHash,
    TokenPrefix,
    Scope,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
