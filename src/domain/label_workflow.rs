//! The label workflow (R-01..R-06): which step may follow which state, an audit's outcome,
//! and the dates that matter (re-audit after 3 years, legacy MSAPs after 2021). Who may take
//! a step is the policy's business (`src/authorization.polar`).

use chrono::{Datelike, Months, NaiveDate};

use super::enums::{AuditOutcome, LabelStatus};

/// A step of the workflow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LabelStep {
    /// The prefect proposes the structure with its self-assessment.
    Propose,
    /// ANCT schedules an audit and assigns an auditor.
    ScheduleAudit,
    /// The auditor submits the audit with this outcome.
    SubmitAudit(AuditOutcome),
    /// ANCT gives its prior approval.
    Approve,
    /// The prefect labels the structure.
    Label,
    /// ANCT withdraws the label.
    Withdraw,
}

impl LabelStep {
    /// The step's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Propose => "propose",
            Self::ScheduleAudit => "schedule an audit",
            Self::SubmitAudit(_) => "submit the audit",
            Self::Approve => "approve",
            Self::Label => "label",
            Self::Withdraw => "withdraw the label",
        }
    }
}

/// The state after `step` from `state`, or `None` when the step is illegal there.
pub fn next(state: LabelStatus, step: LabelStep) -> Option<LabelStatus> {
    use LabelStatus as S;
    match (state, step) {
        (S::Candidate | S::AuditFailed | S::Withdrawn, LabelStep::Propose) => Some(S::Proposed),
        (S::Proposed, LabelStep::ScheduleAudit) => Some(S::AuditScheduled),
        (S::AuditScheduled, LabelStep::SubmitAudit(AuditOutcome::Passed)) => Some(S::AuditPassed),
        (S::AuditScheduled, LabelStep::SubmitAudit(AuditOutcome::Failed)) => Some(S::AuditFailed),
        (S::AuditPassed, LabelStep::Approve) => Some(S::Approved),
        (S::Approved, LabelStep::Label) => Some(S::Labelled),
        (S::Labelled, LabelStep::Withdraw) => Some(S::Withdrawn),
        _ => None,
    }
}

/// Whether a proposal from `state` is a re-proposal after a failed audit, whose audit is
/// then a priority.
pub fn proposal_is_priority(state: LabelStatus) -> bool {
    state == LabelStatus::AuditFailed
}

/// One criterion as the auditor found it.
#[derive(Clone, Debug)]
pub struct Finding<'a> {
    /// Criterion code.
    pub code: &'a str,
    /// Mandatory for the label.
    pub mandatory: bool,
    /// Found met.
    pub met: bool,
}

/// The outcome of an audit and its reasons: passed only if every mandatory criterion is met
/// otherwise the unmet mandatory criteria, in the order given.
pub fn audit_outcome(findings: &[Finding<'_>]) -> (AuditOutcome, Vec<String>) {
    let unmet: Vec<String> = findings
        .iter()
        .filter(|f| f.mandatory && !f.met)
        .map(|f| f.code.to_owned())
        .collect();
    if unmet.is_empty() {
        (AuditOutcome::Passed, unmet)
    } else {
        (AuditOutcome::Failed, unmet)
    }
}

/// Labels are re-audited every 3 years: the date a label granted on `label_date`
/// falls due (a label of 29 February falls due on 1 March).
pub fn reaudit_due_on(label_date: NaiveDate) -> NaiveDate {
    let due = label_date
        .checked_add_months(Months::new(36))
        .unwrap_or(NaiveDate::MAX);
    if due.day() == label_date.day() {
        due
    } else {
        due.succ_opt().unwrap_or(due)
    }
}

/// The latest label date that is due for re-audit on `today`: a label is due exactly when
/// its date is on or before this one (agrees with [`reaudit_due_on`]).
pub fn due_for_reaudit_if_labelled_by(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(36))
        .unwrap_or(NaiveDate::MIN)
}

/// Last day a legacy MSAP could be labelled and keep State funding.
pub fn legacy_msap_deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 12, 31).unwrap_or(NaiveDate::MIN)
}

/// Whether a legacy MSAP with this label state lost State funding from 2022: not
/// labelled on 31 Dec 2021.
pub fn msap_loses_funding(
    legacy_msap: bool,
    status: LabelStatus,
    label_date: Option<NaiveDate>,
) -> bool {
    let labelled_in_time =
        status == LabelStatus::Labelled && label_date.is_some_and(|d| d <= legacy_msap_deadline());
    legacy_msap && !labelled_in_time
}

#[cfg(test)]
mod tests {
    use super::*;
    use LabelStatus as S;

    const ALL: [LabelStatus; 8] = [
        S::Candidate,
        S::Proposed,
        S::AuditScheduled,
        S::AuditPassed,
        S::AuditFailed,
        S::Approved,
        S::Labelled,
        S::Withdrawn,
    ];

    #[test]
    fn each_step_is_legal_from_its_states_only() {
        let steps = [
            LabelStep::Propose,
            LabelStep::ScheduleAudit,
            LabelStep::SubmitAudit(AuditOutcome::Passed),
            LabelStep::SubmitAudit(AuditOutcome::Failed),
            LabelStep::Approve,
            LabelStep::Label,
            LabelStep::Withdraw,
        ];
        let legal: usize = ALL
            .iter()
            .flat_map(|s| steps.iter().map(move |step| next(*s, *step)))
            .filter(Option::is_some)
            .count();
        // Propose from 3 states, then one state for each of the 6 other steps.
        assert_eq!(legal, 9);
        assert_eq!(next(S::Approved, LabelStep::Label), Some(S::Labelled));
        assert_eq!(next(S::Proposed, LabelStep::Label), None);
        assert_eq!(next(S::Labelled, LabelStep::Propose), None);
    }

    #[test]
    fn an_audit_passes_only_when_every_mandatory_criterion_is_met() {
        let findings = [
            Finding {
                code: "C01",
                mandatory: true,
                met: true,
            },
            Finding {
                code: "C02",
                mandatory: false,
                met: false,
            },
        ];
        assert_eq!(audit_outcome(&findings), (AuditOutcome::Passed, vec![]));
        let findings = [
            Finding {
                code: "C01",
                mandatory: true,
                met: false,
            },
            Finding {
                code: "C15",
                mandatory: true,
                met: false,
            },
        ];
        assert_eq!(
            audit_outcome(&findings),
            (
                AuditOutcome::Failed,
                vec!["C01".to_owned(), "C15".to_owned()]
            )
        );
    }

    #[test]
    fn labels_fall_due_three_years_on_and_late_msaps_lose_funding() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert_eq!(reaudit_due_on(date(2020, 2, 29)), date(2023, 3, 1));
        // The due date and the SQL cut-off agree, day by day, around leap days.
        let mut label = date(2020, 1, 1);
        while label < date(2021, 12, 31) {
            for offset in [0u64, 1, 2] {
                let today =
                    reaudit_due_on(label) + chrono::Days::new(offset) - chrono::Days::new(1);
                let due = reaudit_due_on(label) <= today;
                assert_eq!(
                    due,
                    label <= due_for_reaudit_if_labelled_by(today),
                    "{label} {today}"
                );
            }
            label = label.succ_opt().expect("a date");
        }
        assert!(!msap_loses_funding(
            true,
            S::Labelled,
            Some(date(2021, 12, 31))
        ));
        assert!(msap_loses_funding(
            true,
            S::Labelled,
            Some(date(2022, 1, 1))
        ));
        assert!(msap_loses_funding(true, S::Proposed, None));
        assert!(!msap_loses_funding(false, S::Candidate, None));
    }
}
