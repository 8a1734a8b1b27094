//! A structure's life: `createStructure`, `updateStructure`, `closeStructure`,
//! `reopenStructure`, `setStructureStops`. Changes name the `factsVersion` the caller saw
//! (`expectedVersion`); the label has its own version and workflow.
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result};

use crate::domain::enums::{Carrier, StructureFormat};
use crate::domain::hours::Weekday;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::scalars::Date;
use crate::graphql::types::{Department, Structure};
use crate::service::coverage;
use crate::service::structure_life::{self, FactsChange, RangeInput, StopInput};

#[derive(Default)]
pub struct StructureMutation;

/// A WGS84 position.
#[derive(InputObject)]
pub struct GeoPointInput {
    /// Latitude in degrees (-90 to 90).
    pub latitude: f64,
    /// Longitude in degrees (-180 to 180).
    pub longitude: f64,
}

/// One opening range of a day.
#[derive(InputObject)]
pub struct OpeningRangeInput {
    /// Day of the week.
    pub day: Weekday,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM` (`24:00` for midnight); after `opens`, not overlapping another
    /// range of the day.
    pub closes: String,
}

/// A stop of a bus or itinerant service, every week.
#[derive(InputObject)]
#[graphql(name = "StopInput")]
pub struct StopFields {
    /// INSEE code of the commune (in the structure's department).
    pub commune: String,
    /// Day of the week.
    pub day: Weekday,
    /// Arrival, `HH:MM`.
    pub opens: String,
    /// Departure, `HH:MM`, after arrival; stops of a day do not overlap.
    pub closes: String,
}

/// Facts of a structure. An absent field is left as it is; `null` clears an optional fact.
/// Creating a structure needs `name`, `commune` and `format`.
#[derive(InputObject, Default)]
pub struct StructureFactsInput {
    /// Name, 3 to 150 characters.
    pub name: Option<String>,
    /// INSEE code of its commune or municipal arrondissement, in its department.
    pub commune: Option<String>,
    /// Street address.
    pub address: MaybeUndefined<String>,
    /// Address complement.
    pub address_complement: MaybeUndefined<String>,
    /// Postal code, five digits.
    pub postal_code: MaybeUndefined<String>,
    /// Position.
    pub location: MaybeUndefined<GeoPointInput>,
    /// Contact e-mail.
    pub email: MaybeUndefined<String>,
    /// Contact phone.
    pub phone: MaybeUndefined<String>,
    /// Format.
    pub format: Option<StructureFormat>,
    /// Matricule of the principal structure (same department) for an antenna; `null` makes
    /// it a principal structure.
    pub principal: MaybeUndefined<String>,
    /// Carrier ("porteur").
    pub carrier: MaybeUndefined<Carrier>,
    /// The whole week's opening ranges (replaces the stored week; several a day allowed).
    pub opening_hours: Option<Vec<OpeningRangeInput>>,
    /// Remark on hours or appointments.
    pub hours_comment: MaybeUndefined<String>,
    /// Appointments can be booked.
    pub appointment_booking: Option<bool>,
    /// Premises: a reception desk.
    pub reception_desk: MaybeUndefined<bool>,
    /// Premises: a closed confidential space.
    pub confidential_space: MaybeUndefined<bool>,
    /// Premises: access for people with reduced mobility.
    pub pmr_access: MaybeUndefined<bool>,
    /// Equipment: a free-access workstation.
    pub free_access_workstation: MaybeUndefined<bool>,
    /// Equipment: a computer with a webcam.
    pub webcam_computer: MaybeUndefined<bool>,
    /// Equipment: a printer / scanner.
    pub printer: MaybeUndefined<bool>,
}

/// `None` when absent, `Some(None)` when null.
fn change<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(value)),
    }
}

impl From<StructureFactsInput> for FactsChange {
    fn from(input: StructureFactsInput) -> Self {
        FactsChange {
            name: input.name,
            commune: input.commune,
            address: change(input.address),
            address_complement: change(input.address_complement),
            postal_code: change(input.postal_code),
            location: change(input.location).map(|l| l.map(|p| (p.latitude, p.longitude))),
            email: change(input.email),
            phone: change(input.phone),
            format: input.format,
            principal: change(input.principal),
            carrier: change(input.carrier),
            opening_hours: input.opening_hours.map(|ranges| {
                ranges
                    .into_iter()
                    .map(|r| RangeInput {
                        day: r.day,
                        opens: r.opens,
                        closes: r.closes,
                    })
                    .collect()
            }),
            hours_comment: change(input.hours_comment),
            appointment_booking: input.appointment_booking,
            reception_desk: change(input.reception_desk),
            confidential_space: change(input.confidential_space),
            pmr_access: change(input.pmr_access),
            free_access_workstation: change(input.free_access_workstation),
            webcam_computer: change(input.webcam_computer),
            printer: change(input.printer),
        }
    }
}

#[Object]
impl StructureMutation {
    /// The prefecture (or ANCT) creates a CANDIDATE structure in its department; its
    /// matricule is `FS-<department>-<n>`. The API owns its facts from then on.
    async fn create_structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department.")] department: String,
        #[graphql(desc = "Its facts: `name`, `commune` and `format` at least.")]
        input: StructureFactsInput,
        #[graphql(
            desc = "A key of the client's choosing (a UUID): a retry with the same key and arguments returns what the first call created instead of creating it twice."
        )]
        idempotency_key: Option<String>,
    ) -> Result<Structure> {
        let caller = ctx.caller()?;
        let clock = &ctx.request().clock;
        let create = async {
            let row = structure_life::create(caller, &department, input.into(), clock).await?;
            Ok(Structure(row))
        };
        let replay = super::replay_node!(ctx, Structure);
        Ok(super::once(ctx, idempotency_key, "Structure", create, replay).await?)
    }

    /// The prefecture (or ANCT) changes facts of a structure. From then on a new import of
    /// the ANCT open data leaves its facts to the API.
    async fn update_structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure.")] structure: String,
        #[graphql(
            desc = "The structure's `factsVersion` as the caller last read it: the change is refused (`CONFLICT`) if it has moved since."
        )]
        expected_version: i32,
        #[graphql(desc = "The facts to change; absent ones stay, `null` clears.")]
        input: StructureFactsInput,
    ) -> Result<Structure> {
        let row = structure_life::update(
            ctx.caller()?,
            &structure,
            expected_version,
            input.into(),
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// The prefecture (or ANCT) records that a structure closes (or closed) on a day.
    async fn close_structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure.")] structure: String,
        #[graphql(desc = "The structure's `factsVersion` as the caller last read it.")]
        expected_version: i32,
        #[graphql(desc = "The day it closes: past, or at most a year ahead.")] on: Date,
        #[graphql(desc = "Why, 3 to 500 characters.")] reason: String,
    ) -> Result<Structure> {
        let row = structure_life::close(
            ctx.caller()?,
            &structure,
            expected_version,
            on.into(),
            reason,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// The prefecture (or ANCT) reopens a closed structure.
    async fn reopen_structure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure.")] structure: String,
        #[graphql(desc = "The structure's `factsVersion` as the caller last read it.")]
        expected_version: i32,
    ) -> Result<Structure> {
        let row = structure_life::reopen(
            ctx.caller()?,
            &structure,
            expected_version,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }

    /// ANCT sets how many France Services it aims for in a department, shown as
    /// `Department.coverage.deploymentTarget` beside the coverage and the pipeline.
    async fn set_deployment_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "INSEE code of the department.")] department: String,
        #[graphql(desc = "Structures aimed for, 0 to 1,000.")] target: i32,
    ) -> Result<Department> {
        coverage::set_target(ctx.caller()?, &department, target, &ctx.request().clock).await?;
        Ok(Department::by_code(ctx, &department)
            .await?
            .ok_or_else(|| AppError::not_found("department", &department))?)
    }

    /// The prefecture (or ANCT) sets the weekly stops of a BUS or ITINERANT structure
    /// (replacing the previous list; an empty list removes them).
    async fn set_structure_stops(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Matricule of the structure.")] structure: String,
        #[graphql(desc = "The structure's `factsVersion` as the caller last read it.")]
        expected_version: i32,
        #[graphql(desc = "Every stop, at most 100.")] stops: Vec<StopFields>,
    ) -> Result<Structure> {
        let stops = stops
            .into_iter()
            .map(|s| StopInput {
                commune: s.commune,
                day: s.day,
                opens: s.opens,
                closes: s.closes,
            })
            .collect();
        let row = structure_life::set_stops(
            ctx.caller()?,
            &structure,
            expected_version,
            stops,
            &ctx.request().clock,
        )
        .await?;
        Ok(Structure(row))
    }
}
