//! `Department`.
use async_graphql::{Context, ID, Object, Result};

use super::{Partner, Referent, Region, coverage::Coverage};
use crate::auth::policy::PolarDepartment;
use crate::domain::ids::{NodeType, encode};
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::referents;

/// An INSEE department ("département").
#[derive(Clone)]
pub struct Department(pub entity::department::Model);

/// An INSEE department ("département").
#[Object]
impl Department {
    /// Global id.
    pub async fn id(&self) -> ID {
        ID(encode(NodeType::Department, &self.0.code))
    }

    /// INSEE code ("59", "2A", "974").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its region.
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference
            .region(&self.0.region_code)
            .cloned()
            .map(Region::from))
    }

    /// Coverage of its cantons by labelled structures. Visible to ANCT and to the
    /// department's prefects; others get null and a FORBIDDEN error.
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Option<Coverage>> {
        let actor = ctx.actor()?;
        ctx.request().policy.authorize(
            actor,
            "read_coverage",
            PolarDepartment {
                code: self.0.code.clone(),
            },
            "coverage is visible to ANCT and to the department's prefecture only",
        )?;
        let loaders = ctx.loaders();
        let coverage = loaders.coverage.load_one(self.0.code.clone()).await?;
        Ok(Some(Coverage(coverage.unwrap_or_default())))
    }

    /// Partners' referents in the department, by partner. Visible to everyone working
    /// in the department; others get null and a FORBIDDEN error.
    async fn referents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Referent>>> {
        self.authorize_referents(ctx)?;
        let rows = ctx
            .loaders()
            .referents
            .load_one(self.0.code.clone())
            .await?;
        Ok(Some(
            rows.unwrap_or_default().into_iter().map(Referent).collect(),
        ))
    }

    /// The core partners with fewer than the two back-office referents Administration+
    /// expects in the department, by code; `referentShortfalls` says how many each
    /// has. Visible to everyone working in the department.
    async fn missing_referents(&self, ctx: &Context<'_>) -> Result<Option<Vec<Partner>>> {
        Ok(self
            .shortfalls(ctx)
            .await?
            .map(|list| list.into_iter().map(|short| short.partner.into()).collect()))
    }

    /// Each core partner with fewer than the two back-office referents Administration+
    /// expects in the department, with how many it has, by partner code. Visible to
    /// everyone working in the department.
    async fn referent_shortfalls(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<ReferentShortfall>>> {
        Ok(self
            .shortfalls(ctx)
            .await?
            .map(|list| list.into_iter().map(ReferentShortfall).collect()))
    }
}

impl Department {
    /// The department with `code`, from the in-memory reference data.
    pub async fn by_code(ctx: &Context<'_>, code: &str) -> Result<Option<Self>, AppError> {
        let reference = ctx.request().reference.snapshot().await?;
        Ok(reference.department(code).cloned().map(Self))
    }

    /// The department with `code`, which the database guarantees (a foreign key): its absence
    /// is an internal error, not a null.
    pub async fn of(ctx: &Context<'_>, code: &str) -> Result<Self, AppError> {
        Self::by_code(ctx, code).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "department '{code}' is referenced but not in the reference data"
            ))
        })
    }

    async fn shortfalls(&self, ctx: &Context<'_>) -> Result<Option<Vec<referents::Shortfall>>> {
        self.authorize_referents(ctx)?;
        Ok(Some(
            ctx.loaders()
                .missing_referents
                .load_one(self.0.code.clone())
                .await?
                .unwrap_or_default(),
        ))
    }

    fn authorize_referents(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        if referents::can_read(&ctx.request().policy, ctx.actor()?, &self.0.code)? {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "referents are visible to those working in the department".into(),
            ))
        }
    }
}

/// A core partner short of the back-office referents Administration+ expects.
pub struct ReferentShortfall(referents::Shortfall);

/// A core partner short of the back-office referents Administration+ expects.
#[Object]
impl ReferentShortfall {
    /// The partner.
    async fn partner(&self) -> Partner {
        self.0.partner.clone().into()
    }

    /// Its back-office referents in the department.
    async fn back_office_referents(&self) -> u64 {
        self.0.back_office
    }

    /// How many Administration+ expects (two).
    async fn expected(&self) -> u64 {
        referents::REFERENTS_EXPECTED
    }
}
