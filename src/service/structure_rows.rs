//! Structure rows kept in memory under their revision (issue 17, goal 1).
//!
//! A page of structures decoded 45 columns of each of its rows, most of which no page shows,
//! and that decoding was the largest part of the page's cost (about a quarter of the CPU on
//! SQLite, a fifth on PostgreSQL). Structures change rarely, and every change raises the
//! row's `revision` (a trigger, migration 34). So a page reads the identifiers and revisions
//! of its rows first (the same statement, scope, filter, order and limit as before), and
//! takes each row from here when it is kept at that revision; when one is missing or older,
//! the page reads its whole rows as before and keeps them.
//!
//! Exact by construction: an identifier is never reused, so `(id, revision)` names one state
//! of one row, and what is served is what the database holds at that revision. Each replica
//! keeps its own rows and asks the database for the revisions at every request, so a change
//! through any replica shows at the next request through any other.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use entity::structure;

/// Most rows kept; beyond, all are dropped and kept again as pages read them (the network has
/// about 2,800 structures).
const MAX_ROWS: usize = 32_768;

/// The kept rows, shared by every request of a server.
#[derive(Clone, Default)]
pub struct StructureRows {
    kept: Arc<RwLock<HashMap<i64, Kept>>>,
}

struct Kept {
    revision: i64,
    row: structure::Model,
}

impl StructureRows {
    /// The rows named by `keys` (identifier, revision), in their order, when every one is kept
    /// at that revision; `None` otherwise.
    pub fn all(&self, keys: impl IntoIterator<Item = (i64, i64)>) -> Option<Vec<structure::Model>> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.into_iter()
            .map(|(id, revision)| {
                kept.get(&id)
                    .filter(|k| k.revision == revision)
                    .map(|k| k.row.clone())
            })
            .collect()
    }

    /// Keeps `rows`, each read with its revision. A row kept at a later revision stays: two
    /// pages may read the same row on either side of a change.
    pub fn keep<'a>(&self, rows: impl IntoIterator<Item = (i64, &'a structure::Model)>) {
        let mut kept = self
            .kept
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (revision, row) in rows {
            if kept.len() >= MAX_ROWS && !kept.contains_key(&row.id) {
                kept.clear();
            }
            match kept.get(&row.id) {
                Some(k) if k.revision > revision => {}
                _ => {
                    kept.insert(
                        row.id,
                        Kept {
                            revision,
                            row: row.clone(),
                        },
                    );
                }
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.read().map(|k| k.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn row(id: i64, name: &str) -> structure::Model {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        structure::Model {
            id,
            matricule: format!("M-{id}"),
            name: name.into(),
            department_code: "59".into(),
            commune_code: None,
            address: None,
            address_complement: None,
            postal_code: None,
            latitude: None,
            longitude: None,
            email: None,
            phone: None,
            format: "FIXED".into(),
            site_type: "PRINCIPAL".into(),
            principal_id: None,
            site_group: None,
            carrier: None,
            opening_hours: "{}".into(),
            days_open: 0,
            weekly_minutes: 0,
            hours_comment: None,
            appointment_booking: false,
            reception_desk: None,
            confidential_space: None,
            pmr_access: None,
            free_access_workstation: None,
            webcam_computer: None,
            printer: None,
            label_status: "NONE".into(),
            label_date: None,
            search_text: name.to_lowercase(),
            created_at: at,
            updated_at: at,
            label_version: 0,
            legacy_msap: false,
            label_withdrawal_reason: None,
            name_key: name.to_lowercase(),
            commune_key: String::new(),
            facts_version: 0,
            closed_on: None,
            closure_reason: None,
            label_withdrawn_on: None,
            reaudited_on: None,
            remarks_due_on: None,
            reaudit_stage: "NONE".into(),
        }
    }

    #[test]
    fn a_page_is_served_only_when_every_row_is_kept_at_its_revision() {
        let rows = StructureRows::default();
        let (a, b) = (row(1, "Avesnes"), row(2, "Bavay"));
        assert!(rows.all([(1, 0)]).is_none(), "nothing kept yet");
        rows.keep([(0, &a), (3, &b)]);
        let served = rows.all([(2, 3), (1, 0)]).expect("both kept");
        assert_eq!(served, vec![b.clone(), a.clone()], "in the asked order");
        assert!(rows.all([(1, 0), (2, 4)]).is_none(), "row 2 changed since");
        assert!(rows.all([(1, 0), (9, 0)]).is_none(), "row 9 never read");
        assert_eq!(rows.all([]), Some(vec![]), "an empty page needs no row");
    }

    #[test]
    fn a_later_revision_is_never_replaced_by_an_earlier_one() {
        let rows = StructureRows::default();
        let (old, new) = (row(1, "Avesnes"), row(1, "Avesnes-sur-Helpe"));
        rows.keep([(5, &new)]);
        rows.keep([(4, &old)]);
        assert_eq!(rows.all([(1, 5)]), Some(vec![new.clone()]));
        assert!(rows.all([(1, 4)]).is_none());
        rows.keep([(6, &old)]);
        assert_eq!(rows.all([(1, 6)]), Some(vec![old]));
    }

    #[test]
    fn the_kept_rows_are_bounded() {
        let rows = StructureRows::default();
        let many: Vec<_> = (0..MAX_ROWS as i64 + 10).map(|id| row(id, "x")).collect();
        rows.keep(many.iter().map(|r| (0, r)));
        assert!(rows.len() <= MAX_ROWS);
        assert!(
            rows.all([(MAX_ROWS as i64 + 9, 0)]).is_some(),
            "the latest row is kept"
        );
    }
}
