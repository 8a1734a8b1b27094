//! An INSEE commune, municipal arrondissement, or delegated / associated commune.
use sea_orm::entity::prelude::*;

/// A row of the INSEE commune list. `code` alone is not unique (a delegated commune may
/// carry the code of the commune it belongs to); `(code, kind)` is.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "commune")]
pub struct Model {
    /// INSEE code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// INSEE type: `COM` commune, `ARM` municipal arrondissement (Paris, Lyon, Marseille),
    /// `COMD` delegated commune, `COMA` associated commune.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// Official name.
    pub name: String,
    /// For `ARM`, `COMD` and `COMA`: the code of the commune it belongs to.
    pub parent_code: Option<String>,
    /// INSEE code of its department.
    pub department_code: String,
    /// INSEE code of its canton (none in Martinique and Guyane, which have no cantons).
    pub canton_code: Option<String>,
    /// Legal population (for `COM` and `ARM`).
    pub population: Option<i64>,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
