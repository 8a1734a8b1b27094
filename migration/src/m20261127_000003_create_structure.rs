//! France Services structures.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Structure {
    Table,
    Id,
    Matricule,
    Name,
    DepartmentCode,
    CommuneCode,
    Address,
    AddressComplement,
    PostalCode,
    Latitude,
    Longitude,
    Email,
    Phone,
    Format,
    SiteType,
    PrincipalId,
    SiteGroup,
    Carrier,
    OpeningHours,
    DaysOpen,
    WeeklyMinutes,
    HoursComment,
    AppointmentBooking,
    ReceptionDesk,
    ConfidentialSpace,
    PmrAccess,
    FreeAccessWorkstation,
    WebcamComputer,
    Printer,
    LabelStatus,
    LabelDate,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Structure::Table)
                    .col(big_pk_auto(Structure::Id))
                    .col(string_uniq(Structure::Matricule))
                    .col(string(Structure::Name))
                    .col(string(Structure::DepartmentCode))
                    .col(string_null(Structure::CommuneCode))
                    .col(string_null(Structure::Address))
                    .col(string_null(Structure::AddressComplement))
                    .col(string_null(Structure::PostalCode))
                    .col(double_null(Structure::Latitude))
                    .col(double_null(Structure::Longitude))
                    .col(string_null(Structure::Email))
                    .col(string_null(Structure::Phone))
                    .col(string(Structure::Format))
                    .col(string(Structure::SiteType))
                    .col(big_integer_null(Structure::PrincipalId))
                    .col(string_null(Structure::SiteGroup))
                    .col(string_null(Structure::Carrier))
                    .col(text(Structure::OpeningHours))
                    .col(integer(Structure::DaysOpen))
                    .col(integer(Structure::WeeklyMinutes))
                    .col(string_null(Structure::HoursComment))
                    .col(boolean(Structure::AppointmentBooking))
                    .col(boolean_null(Structure::ReceptionDesk))
                    .col(boolean_null(Structure::ConfidentialSpace))
                    .col(boolean_null(Structure::PmrAccess))
                    .col(boolean_null(Structure::FreeAccessWorkstation))
                    .col(boolean_null(Structure::WebcamComputer))
                    .col(boolean_null(Structure::Printer))
                    .col(string(Structure::LabelStatus))
                    .col(date_null(Structure::LabelDate))
                    .col(string(Structure::SearchText))
                    .col(timestamp_with_time_zone(Structure::CreatedAt))
                    .col(timestamp_with_time_zone(Structure::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Structure::Table, Structure::DepartmentCode)
                            .to(Department::Table, Department::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Structure::Table, Structure::PrincipalId)
                            .to(Structure::Table, Structure::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_structure_department", Structure::DepartmentCode),
            ("idx_structure_commune", Structure::CommuneCode),
            ("idx_structure_principal", Structure::PrincipalId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Structure::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Structure::Table).to_owned())
            .await
    }
}
