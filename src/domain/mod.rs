//! Rules that are not storage: opening-hours maths, label dates, enumerations, global ids.
//! Nothing here touches the database.

pub mod attachment;
pub mod compliance;
pub mod enums;
pub mod hours;
pub mod ids;
pub mod label;
pub mod label_workflow;
pub mod mystery;
pub mod reporting;
pub mod text;
pub mod training;
pub mod working_time;
