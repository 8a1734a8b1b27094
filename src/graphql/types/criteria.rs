//! `CriteriaFramework` and `Criterion`: the label's quality criteria, as data.
use crate::graphql::scalars::Date;
use async_graphql::SimpleObject;

use crate::service::criteria::Framework;

/// A version of the label's criteria grid ("grille", since 2025 "référentiel"). Versions
/// never change once loaded; a correction is a new version.
#[derive(SimpleObject, Clone)]
pub struct CriteriaFramework {
    /// Version, e.g. "2019".
    pub version: String,
    /// Title and source.
    pub label: String,
    /// First day it applies.
    pub effective_from: Date,
    /// Whether it is the version in force today.
    pub current: bool,
    /// Its criteria, in grid order.
    pub criteria: Vec<Criterion>,
}

/// One quality criterion.
#[derive(SimpleObject, Clone)]
pub struct Criterion {
    /// Code, unique in its version ("C01").
    pub code: String,
    /// Theme ("OPENING_AND_STAFF", "TRAINING"…): data, so that a new grid may bring others.
    pub theme: String,
    /// What must hold.
    pub label: String,
    /// Must be met for the label.
    pub mandatory: bool,
    /// Can be evaluated from the data maillage holds (the others come from audits).
    pub computable: bool,
}

impl From<Framework> for CriteriaFramework {
    fn from(f: Framework) -> Self {
        Self {
            version: f.framework.version,
            label: f.framework.label,
            effective_from: f.framework.effective_from.into(),
            current: f.current,
            criteria: f.criteria.into_iter().map(Criterion::from).collect(),
        }
    }
}

impl From<entity::criterion::Model> for Criterion {
    fn from(c: entity::criterion::Model) -> Self {
        Self {
            code: c.code,
            theme: c.theme,
            label: c.label,
            mandatory: c.mandatory,
            computable: c.computable,
        }
    }
}
