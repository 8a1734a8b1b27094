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
//!
//! What a page shows of each structure beyond its row (its effective partners) is kept the
//! same way in a [`KeptAtVersion`], under the data's version (migration 33, raised by every
//! committed change to the conventions, their signatories, the annexes, the partners and the
//! structures). The page's statement reads that version with its identifiers; the values of
//! its structures come from there when they were read at that very version, and otherwise
//! from one statement that reads them with the version they belong to (and keeps them). Each
//! version names one committed state of the database, so what is served is what the database
//! held when the page was read.

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

/// Values by structure id, as read at one version of the data; shared by every request of a
/// server.
pub struct KeptAtVersion<V> {
    kept: Arc<RwLock<AtVersion<V>>>,
}

struct AtVersion<V> {
    version: i64,
    by_structure: HashMap<i64, V>,
}

impl<V> Clone for KeptAtVersion<V> {
    fn clone(&self) -> Self {
        Self {
            kept: self.kept.clone(),
        }
    }
}

impl<V> Default for KeptAtVersion<V> {
    fn default() -> Self {
        Self {
            kept: Arc::new(RwLock::new(AtVersion {
                version: 0,
                by_structure: HashMap::new(),
            })),
        }
    }
}

impl<V: Clone> KeptAtVersion<V> {
    /// The value of each structure in `ids`, when every one is kept as read at data version
    /// `version`; `None` otherwise.
    pub fn get(&self, version: i64, ids: impl IntoIterator<Item = i64>) -> Option<HashMap<i64, V>> {
        let kept = self
            .kept
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.version != version {
            return None;
        }
        ids.into_iter()
            .map(|id| kept.by_structure.get(&id).map(|value| (id, value.clone())))
            .collect()
    }

    /// Keeps `found`, read at data version `version`. What was kept at an earlier version is
    /// dropped; what is read at an earlier version than the kept one is not kept.
    pub fn keep(&self, version: i64, found: &HashMap<i64, V>) {
        let mut kept = self
            .kept
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if version < kept.version {
            return;
        }
        if version > kept.version || kept.by_structure.len() + found.len() > MAX_ROWS {
            *kept = AtVersion {
                version,
                by_structure: HashMap::new(),
            };
        }
        kept.by_structure
            .extend(found.iter().map(|(id, value)| (*id, value.clone())));
    }
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
    fn values_are_served_only_at_the_version_they_were_read_at() {
        let rows = KeptAtVersion::<Arc<[i64]>>::default();
        let ids = |list: &[i64]| -> Arc<[i64]> { list.into() };
        assert!(rows.get(1, [1]).is_none(), "nothing kept yet");
        rows.keep(7, &HashMap::from([(1, ids(&[3, 4])), (2, ids(&[]))]));
        let served = rows.get(7, [2, 1]).expect("both kept");
        assert_eq!(served[&1], ids(&[3, 4]));
        assert_eq!(
            served[&2],
            ids(&[]),
            "a structure with no partner is kept too"
        );
        assert!(rows.get(8, [1]).is_none(), "the data changed since");
        assert!(rows.get(6, [1]).is_none(), "an older version");
        assert!(rows.get(7, [1, 9]).is_none(), "structure 9 never read");
        rows.keep(6, &HashMap::from([(9, ids(&[5]))]));
        assert!(
            rows.get(7, [9]).is_none(),
            "read at an older version: not kept"
        );
        rows.keep(8, &HashMap::from([(9, ids(&[5]))]));
        assert!(
            rows.get(8, [1]).is_none(),
            "what was read at 7 is dropped at 8"
        );
        assert_eq!(rows.get(8, [9]).expect("kept")[&9], ids(&[5]));
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
