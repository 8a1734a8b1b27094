//! Compliance of a structure with the computable criteria (R-11..R-17, C01..C27), from its
//! data alone. Criteria that need an on-site check are left to self-assessment and audits.

use async_graphql::Enum;
use chrono::NaiveDate;

use super::enums::StructureFormat;

/// What the data say about one criterion.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ComplianceStatus {
    /// The data show the criterion holds.
    Met,
    /// The data show it does not.
    NotMet,
    /// The data cannot tell (not recorded yet).
    Unknown,
}

/// The facts about one structure that the computable criteria read.
#[derive(Clone, Debug, Default)]
pub struct StructureFacts {
    /// Days open a week.
    pub days_open: i32,
    /// Minutes open a week.
    pub weekly_minutes: i32,
    /// Its format, if readable.
    pub format: Option<StructureFormat>,
    /// Premises and equipment facts.
    pub confidential_space: Option<bool>,
    /// Accessible to people with reduced mobility.
    pub pmr_access: Option<bool>,
    /// A free-access workstation.
    pub free_access_workstation: Option<bool>,
    /// A computer with a webcam.
    pub webcam_computer: Option<bool>,
    /// Codes of the core partners that are not among its effective partners.
    pub core_partners_missing: Vec<String>,
    /// How many core partners there are.
    pub core_partner_count: usize,
    /// Codes of the core partners with no back-office referent in its department.
    pub referents_missing: Vec<String>,
    /// Its annex: `None` if there is none, else its signature date if signed.
    pub annex: Option<Option<NaiveDate>>,
    /// Its registered agents and how many completed each part of their training.
    pub agents: AgentFacts,
    /// Its reporting over the last complete month (C24).
    pub reporting: ReportingFacts,
    /// The users' satisfaction survey of the current campaign (C25).
    pub survey: Option<SurveyFacts>,
}

/// A structure's unit reporting over the last complete calendar month (C24).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportingFacts {
    /// First day of the month.
    pub month: Option<NaiveDate>,
    /// Current (not superseded) entries recorded for days of that month.
    pub entries: u64,
}

/// The current users' survey campaign, as one structure took part in it (C25).
#[derive(Clone, Copy, Debug)]
pub struct SurveyFacts {
    /// The campaign's last day.
    pub closes_on: NaiveDate,
    /// Whether it has closed (before today).
    pub closed: bool,
    /// Answers given with the structure's codes.
    pub answers: u64,
}

/// A structure's agents and their training.
#[derive(Clone, Copy, Debug, Default)]
pub struct AgentFacts {
    /// Registered agents.
    pub count: usize,
    /// Of whom completed the common core.
    pub common_core: usize,
    /// Of whom completed the partner training.
    pub partner_training: usize,
    /// Of whom attended the digital tools webinar.
    pub tools_webinar: usize,
}

/// One evaluated criterion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Met, not met or unknown.
    pub status: ComplianceStatus,
    /// What the evaluation rests on, in words.
    pub evidence: String,
}

fn eval(status: ComplianceStatus, evidence: impl Into<String>) -> Option<Evaluation> {
    Some(Evaluation {
        status,
        evidence: evidence.into(),
    })
}

fn fact(value: Option<bool>, what: &str) -> Option<Evaluation> {
    match value {
        Some(true) => eval(ComplianceStatus::Met, format!("{what}: yes")),
        Some(false) => eval(ComplianceStatus::NotMet, format!("{what}: no")),
        None => eval(ComplianceStatus::Unknown, format!("{what}: not recorded")),
    }
}

fn all_agents(done: usize, count: usize, what: &str) -> Option<Evaluation> {
    eval(
        at_least(done == count),
        format!("{done} of {count} agents completed {what}"),
    )
}

fn at_least(met: bool) -> ComplianceStatus {
    if met {
        ComplianceStatus::Met
    } else {
        ComplianceStatus::NotMet
    }
}

/// Evaluates criterion `code` on `facts`; `None` when the code has no rule from data.
pub fn evaluate(code: &str, facts: &StructureFacts) -> Option<Evaluation> {
    let no_hours = facts.weekly_minutes == 0;
    match code {
        "C01" if no_hours => eval(ComplianceStatus::Unknown, "no opening hours recorded"),
        "C01" => eval(
            at_least(facts.days_open >= 5),
            format!("open {} days a week (at least 5)", facts.days_open),
        ),
        "C02" if no_hours => eval(ComplianceStatus::Unknown, "no opening hours recorded"),
        "C02" => {
            let hours = f64::from(facts.weekly_minutes) / 60.0;
            eval(
                at_least(facts.weekly_minutes >= 24 * 60),
                format!("open {hours:.1} hours a week (at least 24)"),
            )
        }
        "C04" | "C06" | "C07" | "C08" | "C27" if facts.agents.count == 0 => eval(
            if code == "C27" {
                ComplianceStatus::NotMet
            } else {
                ComplianceStatus::Unknown
            },
            "no agent registered on the platform yet",
        ),
        "C04" => eval(
            at_least(facts.agents.count >= 2),
            format!("{} polyvalent agents (at least 2)", facts.agents.count),
        ),
        "C06" => all_agents(
            facts.agents.common_core,
            facts.agents.count,
            "the common core",
        ),
        "C07" => all_agents(
            facts.agents.partner_training,
            facts.agents.count,
            "the partner training",
        ),
        "C08" => all_agents(
            facts.agents.tools_webinar,
            facts.agents.count,
            "the tools webinar",
        ),
        "C27" => eval(
            ComplianceStatus::Met,
            format!("{} agents registered on the platform", facts.agents.count),
        ),
        "C09" if facts.core_partners_missing.is_empty() => eval(
            ComplianceStatus::Met,
            format!(
                "all {} core partners are effective partners",
                facts.core_partner_count
            ),
        ),
        "C09" => eval(
            ComplianceStatus::NotMet,
            format!(
                "{} of {} core partners are effective partners; missing {}",
                facts.core_partner_count - facts.core_partners_missing.len(),
                facts.core_partner_count,
                facts.core_partners_missing.join(", ")
            ),
        ),
        "C10" if facts.referents_missing.is_empty() => eval(
            ComplianceStatus::Met,
            "every core partner has a back-office referent in the department",
        ),
        "C10" => eval(
            ComplianceStatus::NotMet,
            format!(
                "no back-office referent in the department for {}",
                facts.referents_missing.join(", ")
            ),
        ),
        "C15" => fact(facts.confidential_space, "closed confidential space"),
        "C16" => match facts.format {
            Some(StructureFormat::Bus | StructureFormat::Itinerant) => eval(
                ComplianceStatus::Met,
                "mobile structure: the PMR-access criterion applies to fixed sites",
            ),
            _ => fact(facts.pmr_access, "access for people with reduced mobility"),
        },
        "C19" => fact(facts.free_access_workstation, "free-access workstation"),
        "C20" => fact(facts.webcam_computer, "computer with a webcam"),
        "C24" => {
            let month = facts
                .reporting
                .month
                .map_or_else(String::new, |m| m.format("%Y-%m").to_string());
            match facts.reporting.entries {
                0 if facts.agents.count == 0 => eval(
                    ComplianceStatus::Unknown,
                    "no agent registered on the platform yet: nobody can report here",
                ),
                0 => eval(
                    ComplianceStatus::NotMet,
                    format!("no request reported for {month}"),
                ),
                n => eval(
                    ComplianceStatus::Met,
                    format!("{n} requests reported for {month}"),
                ),
            }
        }
        "C25" => match facts.survey {
            None => eval(
                ComplianceStatus::Unknown,
                "no users' satisfaction survey campaign has opened yet",
            ),
            Some(survey) if survey.answers > 0 => eval(
                ComplianceStatus::Met,
                format!(
                    "{} answers to the users' survey closing on {}",
                    survey.answers, survey.closes_on
                ),
            ),
            Some(survey) if survey.closed => eval(
                ComplianceStatus::NotMet,
                format!(
                    "no answer to the users' survey that closed on {}",
                    survey.closes_on
                ),
            ),
            Some(survey) => eval(
                ComplianceStatus::Unknown,
                format!(
                    "no answer yet to the users' survey open until {}",
                    survey.closes_on
                ),
            ),
        },
        "C26" => match facts.annex {
            Some(Some(date)) => eval(ComplianceStatus::Met, format!("annex signed on {date}")),
            Some(None) => eval(
                ComplianceStatus::NotMet,
                "annex drafted; the departmental convention is not signed yet",
            ),
            None => eval(
                ComplianceStatus::NotMet,
                "no annex to the departmental convention",
            ),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_criteria_follow_r11() {
        let mut facts = StructureFacts {
            days_open: 5,
            weekly_minutes: 24 * 60,
            ..Default::default()
        };
        assert_eq!(
            evaluate("C01", &facts).expect("a rule").status,
            ComplianceStatus::Met
        );
        assert_eq!(
            evaluate("C02", &facts).expect("a rule").status,
            ComplianceStatus::Met
        );
        facts.days_open = 4;
        facts.weekly_minutes = 24 * 60 - 1;
        assert_eq!(
            evaluate("C01", &facts).expect("a rule").status,
            ComplianceStatus::NotMet
        );
        assert_eq!(
            evaluate("C02", &facts).expect("a rule").status,
            ComplianceStatus::NotMet
        );
        facts.weekly_minutes = 0;
        assert_eq!(
            evaluate("C02", &facts).expect("a rule").status,
            ComplianceStatus::Unknown
        );
    }

    #[test]
    fn partner_and_annex_criteria_name_what_is_missing() {
        let facts = StructureFacts {
            core_partners_missing: vec!["DGFIP".into()],
            core_partner_count: 9,
            annex: Some(None),
            ..Default::default()
        };
        let c09 = evaluate("C09", &facts).expect("a rule");
        assert_eq!(c09.status, ComplianceStatus::NotMet);
        assert!(c09.evidence.contains("8 of 9") && c09.evidence.contains("DGFIP"));
        assert_eq!(
            evaluate("C26", &facts).expect("a rule").status,
            ComplianceStatus::NotMet
        );
        assert_eq!(evaluate("C14", &facts), None);
    }
}
