//! Mystery visits: the reproducible, department-stratified draw of the structures to
//! visit, and the items a visitor scores.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;

/// The items a visitor scores, 0 to 10 each.
pub const ITEMS: [&str; 6] = [
    "WELCOME",
    "WAITING_TIME",
    "LISTENING",
    "ANSWER_QUALITY",
    "FOLLOW_UP",
    "PREMISES",
];

/// Highest score of an item.
pub const MAX_SCORE: i32 = 10;

/// Draws up to `per_department` structures in each department, from `(department, id)`
/// pairs, with a generator seeded by `seed`: the same inputs always give the same sample
/// (ChaCha8 is stable across platforms and versions). Departments are drawn in code order,
/// structures by ascending id; the result is sorted by department then id.
pub fn draw(candidates: &[(String, i64)], per_department: usize, seed: u64) -> Vec<(String, i64)> {
    let mut by_department: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (department, id) in candidates {
        by_department.entry(department).or_default().push(*id);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut drawn = Vec::new();
    for (department, ids) in &mut by_department {
        ids.sort_unstable();
        let k = per_department.min(ids.len());
        let mut picked: Vec<i64> = index::sample(&mut rng, ids.len(), k)
            .into_iter()
            .map(|i| ids[i])
            .collect();
        picked.sort_unstable();
        drawn.extend(picked.into_iter().map(|id| ((*department).to_owned(), id)));
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates() -> Vec<(String, i64)> {
        (0..40)
            .map(|i| (if i % 4 == 0 { "23" } else { "59" }.to_owned(), i))
            .collect()
    }

    #[test]
    fn the_draw_is_stratified_and_reproducible() {
        let first = draw(&candidates(), 3, 42);
        assert_eq!(first, draw(&candidates(), 3, 42), "same seed, same sample");
        assert_ne!(
            first,
            draw(&candidates(), 3, 43),
            "another seed, another sample"
        );
        assert_eq!(first.iter().filter(|(d, _)| d == "23").count(), 3);
        assert_eq!(first.iter().filter(|(d, _)| d == "59").count(), 3);
        // A department with fewer structures than asked gives them all.
        assert_eq!(draw(&candidates(), 100, 1).len(), 40);
    }
}
