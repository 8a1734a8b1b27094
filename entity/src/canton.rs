//! An INSEE canton.
use sea_orm::entity::prelude::*;

/// A canton, keyed by its INSEE code ("5905").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canton")]
pub struct Model {
    /// INSEE code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Name (usually its chief town).
    pub name: String,
    /// INSEE type: `C` canton, `V` city-canton ("canton-ville"), `N` fictitious canton of a
    /// new commune.
    pub kind: String,
    /// INSEE code of its department.
    pub department_code: String,
}

/// No navigable relation: joins are written in the service layer.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
