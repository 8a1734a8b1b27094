//! An agent's training against R-14: 5.5 days in person (2.5 days of common core and 3 days
//! of partner training) plus the mandatory webinars make them qualified.

/// Half-days of common core required (2.5 days).
pub const COMMON_CORE_HALF_DAYS: i32 = 5;
/// Half-days of partner training required (3 days).
pub const PARTNER_HALF_DAYS: i32 = 6;
/// Half-days of partner training one trainer partner counts for at most (a day): the 3 days
/// are the partners' offers, so they take three partners at least, and attending the same
/// partner's training again teaches nothing new.
pub const PARTNER_HALF_DAYS_EACH: i32 = 2;

/// One attended session.
#[derive(Clone, Copy, Debug)]
pub struct Attended<'a> {
    /// Module code.
    pub module: &'a str,
    /// Half-days it counts for.
    pub half_days: i32,
    /// The partner who gave it, if any (sessions without one count together).
    pub trainer: Option<i64>,
}

/// Module codes (as seeded by the migration).
pub mod module {
    /// Common core by the CNFPT.
    pub const COMMON_CORE: &str = "COMMON_CORE";
    /// Partner training.
    pub const PARTNER_TRAINING: &str = "PARTNER_TRAINING";
    /// Mandatory MOOC and webinars.
    pub const MANDATORY_WEBINARS: &str = "MANDATORY_WEBINARS";
    /// Digital tools webinar.
    pub const TOOLS_WEBINAR: &str = "TOOLS_WEBINAR";
}

/// Where an agent stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrainingSummary {
    /// Half-days of common core attended.
    pub common_core_half_days: i32,
    /// Half-days of partner training attended.
    pub partner_half_days: i32,
    /// Attended the mandatory webinars.
    pub mandatory_webinars: bool,
    /// Attended the digital tools webinar.
    pub tools_webinar: bool,
}

impl TrainingSummary {
    /// Sums the attended sessions; partner training counts at most
    /// [`PARTNER_HALF_DAYS_EACH`] per trainer partner.
    pub fn of<'a>(attended: impl IntoIterator<Item = Attended<'a>>) -> Self {
        let mut summary = Self::default();
        let mut by_partner: std::collections::HashMap<Option<i64>, i32> = Default::default();
        for session in attended {
            match session.module {
                module::COMMON_CORE => summary.common_core_half_days += session.half_days,
                module::PARTNER_TRAINING => {
                    *by_partner.entry(session.trainer).or_default() += session.half_days;
                }
                module::MANDATORY_WEBINARS => summary.mandatory_webinars = true,
                module::TOOLS_WEBINAR => summary.tools_webinar = true,
                _ => {}
            }
        }
        summary.partner_half_days = by_partner
            .values()
            .map(|h| (*h).min(PARTNER_HALF_DAYS_EACH))
            .sum();
        summary
    }

    /// Common core complete (C06).
    pub fn common_core_done(&self) -> bool {
        self.common_core_half_days >= COMMON_CORE_HALF_DAYS
    }

    /// Partner training complete (C07).
    pub fn partner_training_done(&self) -> bool {
        self.partner_half_days >= PARTNER_HALF_DAYS
    }

    /// Days of in-person training completed.
    pub fn days_in_person(&self) -> f64 {
        f64::from(self.common_core_half_days + self.partner_half_days) / 2.0
    }

    /// Qualified under R-14: both in-person parts and the mandatory webinars.
    pub fn qualified(&self) -> bool {
        self.common_core_done() && self.partner_training_done() && self.mandatory_webinars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(module: &str, half_days: i32, trainer: Option<i64>) -> Attended<'_> {
        Attended {
            module,
            half_days,
            trainer,
        }
    }

    #[test]
    fn five_and_a_half_days_from_three_partners_and_the_webinars_qualify() {
        let mut attended = vec![
            session(module::COMMON_CORE, 5, None),
            session(module::PARTNER_TRAINING, 2, Some(1)),
            session(module::PARTNER_TRAINING, 2, Some(2)),
            session(module::PARTNER_TRAINING, 2, Some(3)),
        ];
        let summary = TrainingSummary::of(attended.iter().copied());
        assert_eq!(summary.days_in_person(), 5.5);
        assert!(!summary.qualified(), "webinars missing");
        attended.push(session(module::MANDATORY_WEBINARS, 0, None));
        assert!(TrainingSummary::of(attended.iter().copied()).qualified());
        attended.remove(1);
        assert!(
            !TrainingSummary::of(attended.iter().copied()).qualified(),
            "partner days short"
        );
        // Three days from one partner (or the same day twice) count as one day.
        let one_partner = [
            session(module::COMMON_CORE, 5, None),
            session(module::PARTNER_TRAINING, 6, Some(1)),
            session(module::PARTNER_TRAINING, 2, Some(1)),
            session(module::MANDATORY_WEBINARS, 0, None),
        ];
        let summary = TrainingSummary::of(one_partner);
        assert_eq!(summary.partner_half_days, 2);
        assert!(!summary.qualified());
    }
}
