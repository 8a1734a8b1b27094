//! `dashboard`: figures of the caller's slice of the network, computed by the database.
use crate::graphql::scalars::Date;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use chrono::NaiveDate;

use crate::auth::Actor;
use crate::domain::enums::SurveyAudience;
use crate::domain::mystery;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::service::dashboard::{self, Count, DashboardFilter, DashboardScope};
use crate::service::reference_cache::Snapshot;

#[derive(Default)]
pub struct DashboardQuery;

/// Filters of a dashboard; all given filters must hold.
#[derive(InputObject, Default)]
pub struct DashboardFilterInput {
    /// From this day (inclusive).
    pub from: Option<Date>,
    /// To this day (inclusive).
    pub to: Option<Date>,
    /// In these departments (within your slice).
    pub departments: Option<Vec<String>>,
    /// About this partner (code).
    pub partner: Option<String>,
}

/// A key and a count.
#[derive(SimpleObject)]
pub struct DashboardCount {
    /// What is counted: a month (`2026-03`), a partner's or a department's code, a theme, a
    /// status, a criterion, a kind of funding.
    pub key: String,
    /// The key in words: the partner's or the department's name; the key itself otherwise.
    pub label: String,
    /// How many (euros for funding).
    pub count: i64,
}

/// Counts whose key speaks for itself.
fn keyed(counts: Vec<Count>) -> Vec<DashboardCount> {
    counts
        .into_iter()
        .map(|c| DashboardCount {
            label: c.key.clone(),
            key: c.key,
            count: c.count,
        })
        .collect()
}

/// The partner ids that are the keys of `counts`.
fn partner_ids(counts: &[Count]) -> impl Iterator<Item = i64> + '_ {
    counts.iter().filter_map(|c| c.key.parse().ok())
}

/// Partner ids as codes, named.
fn by_code(counts: Vec<Count>, reference: &Snapshot) -> Vec<DashboardCount> {
    counts
        .into_iter()
        .map(|c| {
            let partner = c
                .key
                .parse()
                .ok()
                .and_then(|id| reference.partner_by_id(id));
            DashboardCount {
                key: partner.map_or(c.key.clone(), |p| p.code.clone()),
                label: partner.map_or(c.key.clone(), |p| p.name.clone()),
                count: c.count,
            }
        })
        .collect()
}

/// Department codes, named.
fn by_department(counts: Vec<Count>, reference: &Snapshot) -> Vec<DashboardCount> {
    counts
        .into_iter()
        .map(|c| DashboardCount {
            label: reference
                .department(&c.key)
                .map_or(c.key.clone(), |d| d.name.clone()),
            key: c.key,
            count: c.count,
        })
        .collect()
}

/// The figures of the caller's slice.
pub struct Dashboard {
    scope: DashboardScope,
    filter: DashboardFilter,
}

/// Reporting figures (R: the "saisie unitaire").
#[derive(SimpleObject)]
pub struct ReportingFigures {
    /// Requests handled.
    pub total: i64,
    /// Of which resolved on site.
    pub resolved_on_site: i64,
    /// Share resolved on site (0 to 1), when any.
    pub resolved_on_site_share: Option<f64>,
    /// Per month (`YYYY-MM`), in order.
    pub by_month: Vec<DashboardCount>,
    /// Per partner (code), most first.
    pub by_partner: Vec<DashboardCount>,
    /// Per theme, most first.
    pub by_theme: Vec<DashboardCount>,
    /// Per department (INSEE code), most first.
    pub by_department: Vec<DashboardCount>,
}

/// Administration+ figures.
#[derive(SimpleObject)]
pub struct SupportFigures {
    /// Requests sent.
    pub total: i64,
    /// Of which late.
    pub late: i64,
    /// Sent per partner (code).
    pub by_partner: Vec<DashboardCount>,
    /// Late per partner (code).
    pub late_by_partner: Vec<DashboardCount>,
}

/// Label pipeline figures.
#[derive(SimpleObject)]
pub struct PipelineFigures {
    /// Structures per label status.
    pub by_status: Vec<DashboardCount>,
    /// Audits submitted in the period that passed.
    pub audits_passed: i64,
    /// And failed.
    pub audits_failed: i64,
    /// Criteria most often unmet in failed audits (code), most first, at most 10.
    pub failed_criteria: Vec<DashboardCount>,
    /// Labels due for their 3-yearly re-audit (from the label or the last passed re-audit),
    /// none scheduled.
    pub reaudits_due: i64,
    /// Re-audits scheduled and not submitted yet.
    pub reaudits_scheduled: i64,
    /// Failed re-audits whose remarks' deadline has passed with no priority re-audit
    /// scheduled.
    pub reaudits_overdue: i64,
    /// Labels whose priority re-audit failed: ANCT is to withdraw them.
    pub withdrawals_due: i64,
    /// Legacy MSAPs not labelled by 31 December 2021.
    pub msaps_losing_funding: i64,
}

/// A criterion's self-assessment against what audits found.
#[derive(SimpleObject)]
pub struct AssessmentGapFigure {
    /// Criterion code.
    pub criterion: String,
    /// Audited applications.
    pub audited: i64,
    /// Of which declared met by the prefecture.
    pub declared_met: i64,
    /// Of which found met by the auditor.
    pub found_met: i64,
    /// Declared met minus found met: the skew.
    pub gap: i64,
}

/// Training completion.
#[derive(SimpleObject)]
pub struct TrainingFigures {
    /// Agents.
    pub agents: i64,
    /// Of whom qualified (5.5 days in person and the mandatory webinars).
    pub qualified: i64,
}

/// A partner's answer delays (Administration+), in hours.
#[derive(SimpleObject)]
pub struct DelayFigure {
    /// Partner code.
    pub partner: String,
    /// Answered requests.
    pub answered: i64,
    /// Median hours to the first answer.
    pub median_hours: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90_hours: Option<f64>,
}

/// Survey satisfaction of one audience.
#[derive(SimpleObject)]
pub struct SatisfactionFigure {
    /// Whom the survey asked.
    pub audience: SurveyAudience,
    /// Answers.
    pub answers: i64,
    /// Mean satisfaction, 1 to 5.
    pub mean: Option<f64>,
}

/// Canton coverage of a department.
#[derive(SimpleObject)]
pub struct CoverageFigure {
    /// Department (INSEE code).
    pub department: String,
    /// Cantons that communes map to.
    pub cantons: i64,
    /// Of which holding a labelled structure.
    pub covered: i64,
    /// Of which holding none.
    pub uncovered: i64,
}

/// A criterion's compliance gap: what the latest audits of the slice's structures found.
#[derive(SimpleObject)]
pub struct ComplianceGapFigure {
    /// Criterion code.
    pub criterion: String,
    /// Structures whose latest audit assessed it.
    pub assessed: i64,
    /// Of which found it unmet.
    pub unmet: i64,
}

/// Mystery-visit scores of a department.
#[derive(SimpleObject)]
pub struct MysteryFigure {
    /// Department (INSEE code).
    pub department: String,
    /// Recorded visits.
    pub visits: i64,
    /// Mean total score over the items, out of `maxScore`.
    pub mean_score: Option<f64>,
    /// The best possible total score.
    pub max_score: i32,
}

impl Dashboard {
    /// Figure group `group` as `compute` gives it, or as it was kept from an earlier request
    /// under the same data (`service::figure_memo`): the key holds the caller's slice, the
    /// filters and today's date.
    async fn kept<T>(
        &self,
        ctx: &Context<'_>,
        group: &str,
        compute: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError>
    where
        T: crate::service::figure_memo::Weight + Clone + Send + Sync + 'static,
    {
        let r = ctx.request();
        let slice = (&self.scope, &self.filter, r.clock.today());
        r.memo.figure(&r.db, group, &slice, compute).await
    }

    /// `FORBIDDEN` for operators, whose figures are about their partner only.
    fn structure_figures(&self) -> Result<(), AppError> {
        if self.scope.structure_figures {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "an operator's dashboard holds figures about their partner only".into(),
            ))
        }
    }

    /// `FORBIDDEN` unless the caller steers the slice's departments (ANCT, prefects).
    fn steering_figures(&self, what: &str) -> Result<(), AppError> {
        if self.scope.steers {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{what} is visible to ANCT and the prefectures only"
            )))
        }
    }
}

/// The figures of the caller's slice.
#[Object]
impl Dashboard {
    /// Departments of the slice; null for the whole country.
    async fn departments(&self) -> Option<&[String]> {
        self.scope.departments.as_deref()
    }

    /// The only partner the figures are about (operators).
    async fn partner(&self) -> Option<&str> {
        self.scope.partner.as_deref()
    }

    /// Requests handled, from the reporting tool.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn reporting(&self, ctx: &Context<'_>) -> Result<ReportingFigures> {
        let r = ctx.request();
        // Never kept (the entries move all day), but shared by the requests for the same
        // figures that arrived before their computation started (`MemoView::shared`). Its
        // statements take a turn each among the request's figure groups (see `FigureTurns`),
        // side by side when the server is free.
        let slice = (&self.scope, &self.filter, r.clock.today());
        let figures = r
            .memo
            .shared("reporting", &slice, async {
                let reference = r.reference.snapshot().await?;
                dashboard::reporting(
                    &r.db,
                    &self.scope,
                    &self.filter,
                    &reference,
                    &r.clock,
                    || r.figures.take(),
                )
                .await
            })
            .await?;
        let reference = r
            .reference
            .snapshot_with_partners(partner_ids(&figures.by_partner))
            .await?;
        Ok(ReportingFigures {
            total: figures.total,
            resolved_on_site: figures.resolved_on_site,
            resolved_on_site_share: (figures.total > 0)
                .then(|| figures.resolved_on_site as f64 / figures.total as f64),
            by_month: keyed(figures.by_month),
            by_partner: by_code(figures.by_partner, &reference),
            by_theme: keyed(figures.by_theme),
            by_department: by_department(figures.by_department, &reference),
        })
    }

    /// Administration+ volume and lateness.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn support_requests(&self, ctx: &Context<'_>) -> Result<SupportFigures> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let kept = self
            .kept(
                ctx,
                "support",
                dashboard::support(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        let figures = kept.at(r.clock.now());
        let ids = partner_ids(&figures.by_partner).chain(partner_ids(&figures.late_by_partner));
        let reference = r.reference.snapshot_with_partners(ids).await?;
        Ok(SupportFigures {
            total: figures.total,
            late: figures.late,
            by_partner: by_code(figures.by_partner, &reference),
            late_by_partner: by_code(figures.late_by_partner, &reference),
        })
    }

    /// The label pipeline (not for operators).
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn label_pipeline(&self, ctx: &Context<'_>) -> Result<Option<PipelineFigures>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let p = self
            .kept(
                ctx,
                "pipeline",
                dashboard::pipeline(
                    &r.db,
                    &self.scope,
                    &self.filter,
                    &reference,
                    &ctx.request().clock,
                ),
            )
            .await?;
        Ok(Some(PipelineFigures {
            by_status: keyed(p.by_status),
            audits_passed: p.audits_passed,
            audits_failed: p.audits_failed,
            failed_criteria: keyed(p.failed_criteria),
            reaudits_due: p.reaudits_due,
            reaudits_scheduled: p.reaudits_scheduled,
            reaudits_overdue: p.reaudits_overdue,
            withdrawals_due: p.withdrawals_due,
            msaps_losing_funding: p.msaps_losing_funding,
        }))
    }

    /// Self-assessment against audit findings per criterion (not for operators).
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn assessment_gap(&self, ctx: &Context<'_>) -> Result<Option<Vec<AssessmentGapFigure>>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let rows = self
            .kept(
                ctx,
                "assessment_gap",
                dashboard::assessment_gap(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        Ok(Some(
            rows.into_iter()
                .map(|g| AssessmentGapFigure {
                    gap: g.declared_met - g.found_met,
                    criterion: g.code,
                    audited: g.audited,
                    declared_met: g.declared_met,
                    found_met: g.found_met,
                })
                .collect(),
        ))
    }

    /// Core partners with fewer than the two back-office referents Administration+ expects,
    /// counted per department.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn missing_referents(&self, ctx: &Context<'_>) -> Result<Vec<DashboardCount>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        let rows = self
            .kept(
                ctx,
                "missing_referents",
                dashboard::missing_referents(&ctx.request().db, &self.scope, &self.filter),
            )
            .await?;
        let reference = ctx.request().reference.snapshot().await?;
        Ok(by_department(rows, &reference))
    }

    /// Agents and how many are qualified (not for operators).
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn training(&self, ctx: &Context<'_>) -> Result<Option<TrainingFigures>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let t = self
            .kept(
                ctx,
                "training",
                dashboard::training(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        Ok(Some(TrainingFigures {
            agents: t.agents,
            qualified: t.qualified.unwrap_or(0),
        }))
    }

    /// Administration+ answer delays per partner.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn answer_delays(&self, ctx: &Context<'_>) -> Result<Vec<DelayFigure>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let rows = self
            .kept(
                ctx,
                "delays",
                dashboard::delays(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        let reference = r
            .reference
            .snapshot_with_partners(rows.iter().map(|d| d.partner_id))
            .await?;
        Ok(rows
            .into_iter()
            .map(|d| DelayFigure {
                partner: reference
                    .partner_by_id(d.partner_id)
                    .map_or_else(|| d.partner_id.to_string(), |p| p.code.clone()),
                answered: d.answered,
                median_hours: d.median_hours,
                p90_hours: d.p90_hours,
            })
            .collect())
    }

    /// Survey satisfaction per audience (not for operators).
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn satisfaction(&self, ctx: &Context<'_>) -> Result<Option<Vec<SatisfactionFigure>>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let rows = self
            .kept(
                ctx,
                "satisfaction",
                dashboard::satisfaction(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        Ok(Some(
            rows.into_iter()
                .map(|s| {
                    Ok(SatisfactionFigure {
                        audience: crate::graphql::types::stored("survey audience", &s.audience)?,
                        answers: s.answers,
                        mean: s.mean,
                    })
                })
                .collect::<Result<_, crate::error::AppError>>()?,
        ))
    }

    /// Canton coverage per department (ANCT and prefectures only, R-07); today's labels.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn coverage(&self, ctx: &Context<'_>) -> Result<Option<Vec<CoverageFigure>>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.steering_figures("coverage")?;
        let rows = self
            .kept(
                ctx,
                "coverage",
                dashboard::coverage(&ctx.request().db, &self.scope, &self.filter),
            )
            .await?;
        Ok(Some(
            rows.into_iter()
                .map(|c| CoverageFigure {
                    uncovered: c.cantons - c.covered,
                    department: c.department_code,
                    cantons: c.cantons,
                    covered: c.covered,
                })
                .collect(),
        ))
    }

    /// Per criterion, what each structure's latest audit found (not for operators); today's
    /// state.
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn compliance_gaps(&self, ctx: &Context<'_>) -> Result<Option<Vec<ComplianceGapFigure>>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let rows = self
            .kept(
                ctx,
                "compliance_gaps",
                dashboard::compliance_gaps(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        Ok(Some(
            rows.into_iter()
                .map(|g| ComplianceGapFigure {
                    criterion: g.code,
                    assessed: g.assessed,
                    unmet: g.unmet,
                })
                .collect(),
        ))
    }

    /// Mystery-visit scores per department (not for operators; a structure's agents once
    /// the campaign is published).
    #[graphql(complexity = "crate::graphql::limits::FIGURE_COST + child_complexity")]
    async fn mystery_visits(&self, ctx: &Context<'_>) -> Result<Option<Vec<MysteryFigure>>> {
        // Its turn among the request's figure groups (see `FigureTurns`).
        let _turn = ctx.request().figures.take().await;
        self.structure_figures()?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        let rows = self
            .kept(
                ctx,
                "mystery_scores",
                dashboard::mystery_scores(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?;
        let max_score = mystery::MAX_SCORE * mystery::ITEMS.len() as i32;
        Ok(Some(
            rows.into_iter()
                .map(|m| MysteryFigure {
                    department: m.department_code,
                    visits: m.visits,
                    mean_score: m.mean,
                    max_score,
                })
                .collect(),
        ))
    }

    /// Funding granted per kind, in euros (ANCT and prefectures only, R-42).
    async fn funding(&self, ctx: &Context<'_>) -> Result<Option<Vec<DashboardCount>>> {
        self.steering_figures("funding")?;
        let r = ctx.request();
        let reference = r.reference.snapshot().await?;
        Ok(Some(keyed(
            self.kept(
                ctx,
                "funding",
                dashboard::funding(&r.db, &self.scope, &self.filter, &reference),
            )
            .await?,
        )))
    }
}

/// Earliest day a dashboard period reads (clamped).
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
/// Latest day a dashboard period reads (clamped).
const LATEST: NaiveDate = NaiveDate::from_ymd_opt(2999, 12, 31).expect("a date");

/// The departments the caller's figures may cover, `None` for all (ANCT): a prefect's or an
/// operator's departments, an agent's structures' departments.
fn scope_departments(actor: &Actor, scope: &DashboardScope) -> Option<Vec<String>> {
    if let Some(departments) = &scope.departments {
        return Some(departments.clone());
    }
    scope.structures.as_ref().map(|_| {
        let mut own: Vec<String> = actor
            .assignments
            .iter()
            .filter_map(|a| a.structure_department_code.clone())
            .collect();
        own.sort();
        own.dedup();
        own
    })
}

#[Object]
impl DashboardQuery {
    /// The figures of the caller's slice: ANCT the country, a prefecture its departments,
    /// an operator its partner in its departments, an agent its structure.
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; all the given ones must hold.")] filter: Option<
            DashboardFilterInput,
        >,
    ) -> Result<Option<Dashboard>> {
        let actor = ctx.actor()?;
        let scope = DashboardScope::of(actor)?;
        let input = filter.unwrap_or_default();
        if let (Some(from), Some(to)) = (input.from, input.to)
            && to < from
        {
            return Err(
                AppError::bad_input("filter.to", "the period ends on or after it starts").into(),
            );
        }
        let reference = ctx.request().reference.snapshot().await?;
        let partner = match &input.partner {
            Some(code) => {
                let code = code.trim().to_uppercase();
                let found = reference.partner(&code).map(|p| p.id).ok_or_else(|| {
                    AppError::bad_input("filter.partner", format!("unknown partner '{code}'"))
                })?;
                if let Some(own) = scope.partner.as_ref().filter(|own| **own != code) {
                    return Err(AppError::Forbidden(format!(
                        "your figures are about {own} only: partner {code} is outside your slice"
                    ))
                    .into());
                }
                Some(found)
            }
            None => None,
        };
        if let Some(wanted) = &input.departments {
            if let Some(unknown) = wanted.iter().find(|d| reference.department(d).is_none()) {
                return Err(AppError::bad_input(
                    "filter.departments",
                    format!("unknown department '{unknown}'"),
                )
                .into());
            }
            let slice = scope_departments(actor, &scope);
            let outside: Vec<&str> = wanted
                .iter()
                .filter(|d| slice.as_ref().is_some_and(|slice| !slice.contains(d)))
                .map(String::as_str)
                .collect();
            if !outside.is_empty() {
                return Err(AppError::Forbidden(format!(
                    "department {} is outside your slice ({})",
                    outside.join(", "),
                    slice.unwrap_or_default().join(", ")
                ))
                .into());
            }
        }
        // No figure lies outside these years; clamped, any period reads correctly (a year
        // 10000 would not even compare as a date).
        let clamp = |date: Date| NaiveDate::from(date).clamp(EARLIEST, LATEST);
        let filter = DashboardFilter {
            from: input.from.map(clamp),
            to: input.to.map(clamp),
            departments: input.departments,
            partner,
        };
        Ok(Some(Dashboard { scope, filter }))
    }
}
