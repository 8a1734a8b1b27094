//! Signing in: a person's identity at each OpenID provider, logins in progress, browser
//! sessions, and API keys for integration scripts.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserIdentity {
    Table,
    Provider,
    Subject,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginAttempt {
    Table,
    State,
    Provider,
    Nonce,
    PkceVerifier,
    ReturnTo,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebSession {
    Table,
    IdHash,
    UserId,
    Provider,
    TokenEpoch,
    IdToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKey {
    Table,
    Id,
    Name,
    KeyHash,
    Prefix,
    UserId,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

fn user_fk<T: IntoIden + Copy + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(AppUser::Table, AppUser::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserIdentity::Table)
                    .col(string_len(UserIdentity::Provider, 64))
                    .col(string_len(UserIdentity::Subject, 255))
                    .col(big_integer(UserIdentity::UserId))
                    .col(timestamp_with_time_zone(UserIdentity::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(UserIdentity::Provider)
                            .col(UserIdentity::Subject),
                    )
                    .foreign_key(&mut user_fk(UserIdentity::Table, UserIdentity::UserId))
                    .to_owned(),
            )
            .await?;
        // One identity per person and provider: a second `sub` for the same e-mail is refused.
        manager
            .create_index(
                Index::create()
                    .name("ux_user_identity_user_provider")
                    .table(UserIdentity::Table)
                    .col(UserIdentity::UserId)
                    .col(UserIdentity::Provider)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempt::Table)
                    .col(string_len(LoginAttempt::State, 128).primary_key())
                    .col(string_len(LoginAttempt::Provider, 64))
                    .col(string_len(LoginAttempt::Nonce, 128))
                    .col(string_len(LoginAttempt::PkceVerifier, 128))
                    .col(string_len(LoginAttempt::ReturnTo, 512))
                    .col(timestamp_with_time_zone(LoginAttempt::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebSession::Table)
                    .col(string_len(WebSession::IdHash, 64).primary_key())
                    .col(big_integer(WebSession::UserId))
                    .col(string_len(WebSession::Provider, 64))
                    .col(integer(WebSession::TokenEpoch))
                    .col(text_null(WebSession::IdToken))
                    .col(timestamp_with_time_zone(WebSession::CreatedAt))
                    .col(timestamp_with_time_zone(WebSession::LastSeenAt))
                    .col(timestamp_with_time_zone(WebSession::ExpiresAt))
                    .foreign_key(&mut user_fk(WebSession::Table, WebSession::UserId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_web_session_user")
                    .table(WebSession::Table)
                    .col(WebSession::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .col(big_pk_auto(ApiKey::Id))
                    .col(string_len(ApiKey::Name, 64).unique_key())
                    .col(string_len(ApiKey::KeyHash, 64).unique_key())
                    .col(string_len(ApiKey::Prefix, 16))
                    .col(big_integer(ApiKey::UserId))
                    .col(timestamp_with_time_zone(ApiKey::CreatedAt))
                    .col(timestamp_with_time_zone(ApiKey::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKey::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKey::RevokedAt))
                    .foreign_key(&mut user_fk(ApiKey::Table, ApiKey::UserId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKey::Table.into_iden(),
            WebSession::Table.into_iden(),
            LoginAttempt::Table.into_iden(),
            UserIdentity::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
