//! Administration+ (R-30..R-33): support requests from a structure's agents to a partner,
//! their messages and attachments (stored intact, with their SHA-256).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportRequest {
    Table,
    Id,
    StructureId,
    DepartmentCode,
    PartnerId,
    OpenedBy,
    Subject,
    Description,
    CitizenName,
    CitizenDetails,
    Status,
    SentAt,
    DueAt,
    FirstAnsweredAt,
    ClosedAt,
    ReopenedCount,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupportMessage {
    Table,
    Id,
    RequestId,
    AuthorUserId,
    AuthorEmail,
    Side,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SupportAttachment {
    Table,
    Id,
    RequestId,
    MessageId,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    Content,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partner {
    Table,
    Id,
}

fn to(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SupportRequest::Table)
                    .col(big_pk_auto(SupportRequest::Id))
                    .col(big_integer(SupportRequest::StructureId))
                    .col(string(SupportRequest::DepartmentCode))
                    .col(big_integer(SupportRequest::PartnerId))
                    .col(big_integer(SupportRequest::OpenedBy))
                    .col(string(SupportRequest::Subject))
                    .col(text(SupportRequest::Description))
                    .col(string(SupportRequest::CitizenName))
                    .col(text_null(SupportRequest::CitizenDetails))
                    .col(string(SupportRequest::Status))
                    .col(timestamp_with_time_zone(SupportRequest::SentAt))
                    .col(timestamp_with_time_zone(SupportRequest::DueAt))
                    .col(timestamp_with_time_zone_null(
                        SupportRequest::FirstAnsweredAt,
                    ))
                    .col(timestamp_with_time_zone_null(SupportRequest::ClosedAt))
                    .col(integer(SupportRequest::ReopenedCount))
                    .col(timestamp_with_time_zone(SupportRequest::UpdatedAt))
                    .foreign_key(&mut to(
                        (SupportRequest::Table, SupportRequest::StructureId),
                        (Structure::Table, Structure::Id),
                    ))
                    .foreign_key(&mut to(
                        (SupportRequest::Table, SupportRequest::PartnerId),
                        (Partner::Table, Partner::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_support_request_structure", SupportRequest::StructureId),
            (
                "idx_support_request_department",
                SupportRequest::DepartmentCode,
            ),
            ("idx_support_request_partner", SupportRequest::PartnerId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SupportRequest::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SupportMessage::Table)
                    .col(big_pk_auto(SupportMessage::Id))
                    .col(big_integer(SupportMessage::RequestId))
                    .col(big_integer(SupportMessage::AuthorUserId))
                    .col(string(SupportMessage::AuthorEmail))
                    .col(string(SupportMessage::Side))
                    .col(text(SupportMessage::Body))
                    .col(timestamp_with_time_zone(SupportMessage::CreatedAt))
                    .foreign_key(&mut to(
                        (SupportMessage::Table, SupportMessage::RequestId),
                        (SupportRequest::Table, SupportRequest::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_support_message_request")
                    .table(SupportMessage::Table)
                    .col(SupportMessage::RequestId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SupportAttachment::Table)
                    .col(big_pk_auto(SupportAttachment::Id))
                    .col(big_integer(SupportAttachment::RequestId))
                    .col(big_integer_null(SupportAttachment::MessageId))
                    .col(string(SupportAttachment::FileName))
                    .col(string(SupportAttachment::ContentType))
                    .col(big_integer(SupportAttachment::SizeBytes))
                    .col(string(SupportAttachment::Sha256))
                    .col(blob(SupportAttachment::Content))
                    .col(big_integer(SupportAttachment::UploadedBy))
                    .col(timestamp_with_time_zone(SupportAttachment::CreatedAt))
                    .foreign_key(&mut to(
                        (SupportAttachment::Table, SupportAttachment::RequestId),
                        (SupportRequest::Table, SupportRequest::Id),
                    ))
                    .foreign_key(&mut to(
                        (SupportAttachment::Table, SupportAttachment::MessageId),
                        (SupportMessage::Table, SupportMessage::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_support_attachment_request")
                    .table(SupportAttachment::Table)
                    .col(SupportAttachment::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SupportAttachment::Table.into_iden(),
            SupportMessage::Table.into_iden(),
            SupportRequest::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
