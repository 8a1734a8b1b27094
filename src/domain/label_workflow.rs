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

/// Where a labelled structure stands with its 3-yearly re-audit.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReauditState {
    /// Not labelled, or labelled less than 3 years ago (or re-audited since).
    NotDue,
    /// Due (3 years since the label or the last passed re-audit) and not scheduled.
    Due,
    /// A re-audit is scheduled and not submitted yet.
    Scheduled,
    /// A re-audit failed: the remarks are to be addressed by `remarksDueOn`, then ANCT
    /// schedules a priority re-audit.
    Remarks,
    /// The remarks' deadline has passed and no priority re-audit is scheduled.
    Overdue,
    /// The priority re-audit failed too: ANCT is to withdraw the label.
    WithdrawalDue,
}

/// Months a prefecture has to address the remarks of a failed re-audit.
pub const REMARKS_MONTHS: u32 = 3;

/// The stored stage of a labelled structure's re-audit.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ReauditStage {
    /// No re-audit under way.
    None,
    /// A re-audit is scheduled.
    Scheduled,
    /// A re-audit failed; the remarks are being addressed.
    Remarks,
    /// The priority re-audit after remarks is scheduled.
    PriorityScheduled,
    /// The priority re-audit failed.
    WithdrawalDue,
}

impl ReauditStage {
    /// The stage after ANCT schedules a re-audit, with whether it is a priority one; `None`
    /// when one is under way already or the label is to be withdrawn.
    pub fn schedule(self) -> Option<(ReauditStage, bool)> {
        match self {
            Self::None => Some((Self::Scheduled, false)),
            Self::Remarks => Some((Self::PriorityScheduled, true)),
            _ => None,
        }
    }

    /// The stage after the scheduled re-audit is submitted with `outcome`.
    pub fn submitted(self, outcome: AuditOutcome) -> Option<ReauditStage> {
        match (self, outcome) {
            (Self::Scheduled | Self::PriorityScheduled, AuditOutcome::Passed) => Some(Self::None),
            (Self::Scheduled, AuditOutcome::Failed) => Some(Self::Remarks),
            (Self::PriorityScheduled, AuditOutcome::Failed) => Some(Self::WithdrawalDue),
            _ => None,
        }
    }
}

/// What a structure's re-audit state is computed from.
#[derive(Clone, Copy, Debug)]
pub struct ReauditFacts {
    /// Label status.
    pub status: LabelStatus,
    /// Date the label was granted.
    pub label_date: Option<NaiveDate>,
    /// Last passed re-audit.
    pub reaudited_on: Option<NaiveDate>,
    /// Remarks deadline after a failed re-audit.
    pub remarks_due_on: Option<NaiveDate>,
    /// The stored stage.
    pub stage: ReauditStage,
}

impl ReauditFacts {
    /// The day the 3-year clock runs from: the last passed re-audit, else the label date.
    pub fn clock_from(&self) -> Option<NaiveDate> {
        self.reaudited_on.or(self.label_date)
    }

    /// The day the next re-audit falls due, for a labelled structure.
    pub fn due_on(&self) -> Option<NaiveDate> {
        (self.status == LabelStatus::Labelled)
            .then(|| self.clock_from().map(reaudit_due_on))
            .flatten()
    }

    /// The state on `today`.
    pub fn state(&self, today: NaiveDate) -> ReauditState {
        if self.status != LabelStatus::Labelled {
            return ReauditState::NotDue;
        }
        match self.stage {
            ReauditStage::Scheduled | ReauditStage::PriorityScheduled => ReauditState::Scheduled,
            ReauditStage::WithdrawalDue => ReauditState::WithdrawalDue,
            ReauditStage::Remarks if self.remarks_due_on.is_some_and(|due| due < today) => {
                ReauditState::Overdue
            }
            ReauditStage::Remarks => ReauditState::Remarks,
            ReauditStage::None if self.due_on().is_some_and(|due| due <= today) => {
                ReauditState::Due
            }
            ReauditStage::None => ReauditState::NotDue,
        }
    }
}

/// The remarks deadline of a re-audit failed on `failed_on`.
pub fn remarks_due(failed_on: NaiveDate) -> NaiveDate {
    failed_on
        .checked_add_months(Months::new(REMARKS_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether a structure with this label history held the label at some time in `year`
/// granted on or before 31 December of `year`, and still standing or withdrawn
/// during or after `year`.
pub fn labelled_during(
    status: LabelStatus,
    label_date: Option<NaiveDate>,
    withdrawn_on: Option<NaiveDate>,
    year: i32,
) -> bool {
    let Some(granted) = label_date else {
        return false;
    };
    if granted.year() > year {
        return false;
    }
    match withdrawn_on {
        Some(withdrawn) => withdrawn.year() >= year,
        None => status == LabelStatus::Labelled,
    }
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

    #[test]
    fn a_label_counts_for_the_years_it_stood() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        // Labelled in 2026: not in 2020.
        assert!(!labelled_during(S::Labelled, d(2026, 3, 1), None, 2020));
        assert!(labelled_during(S::Labelled, d(2026, 3, 1), None, 2026));
        // Labelled in 2020, withdrawn in 2026: every year from 2020 to 2026, not 2027.
        for year in 2020..=2026 {
            assert!(labelled_during(
                S::Withdrawn,
                d(2020, 1, 1),
                d(2026, 5, 1),
                year
            ));
        }
        assert!(!labelled_during(
            S::Withdrawn,
            d(2020, 1, 1),
            d(2026, 5, 1),
            2027
        ));
        // A candidate never labelled.
        assert!(!labelled_during(S::Candidate, None, None, 2026));
    }

    #[test]
    fn the_reaudit_state_follows_the_clock_and_the_outcomes() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        let today = d(2026, 11, 30);
        let base = ReauditFacts {
            status: S::Labelled,
            label_date: Some(d(2023, 11, 30)),
            reaudited_on: None,
            remarks_due_on: None,
            stage: ReauditStage::None,
        };
        assert_eq!(base.state(today), ReauditState::Due);
        let later = ReauditFacts {
            reaudited_on: Some(d(2025, 1, 1)),
            ..base
        };
        assert_eq!(later.state(today), ReauditState::NotDue);
        assert_eq!(later.due_on(), Some(d(2028, 1, 1)));
        let open = ReauditFacts {
            stage: ReauditStage::Scheduled,
            ..base
        };
        assert_eq!(open.state(today), ReauditState::Scheduled);
        let remarks = ReauditFacts {
            stage: ReauditStage::Remarks,
            remarks_due_on: Some(d(2026, 12, 1)),
            ..base
        };
        assert_eq!(remarks.state(today), ReauditState::Remarks);
        assert_eq!(remarks.state(d(2026, 12, 2)), ReauditState::Overdue);
        let failed = ReauditFacts {
            stage: ReauditStage::WithdrawalDue,
            ..base
        };
        assert_eq!(failed.state(today), ReauditState::WithdrawalDue);
        // Scheduling and submitting move the stage; one re-audit at a time.
        use AuditOutcome::{Failed, Passed};
        let (stage, priority) = ReauditStage::None.schedule().expect("schedule");
        assert_eq!((stage, priority), (ReauditStage::Scheduled, false));
        assert_eq!(stage.schedule(), None);
        assert_eq!(stage.submitted(Failed), Some(ReauditStage::Remarks));
        let (again, priority) = ReauditStage::Remarks.schedule().expect("priority");
        assert!(priority);
        assert_eq!(again.submitted(Passed), Some(ReauditStage::None));
        assert_eq!(again.submitted(Failed), Some(ReauditStage::WithdrawalDue));
        assert_eq!(ReauditStage::WithdrawalDue.schedule(), None);
        assert_eq!(ReauditStage::None.submitted(Passed), None);
        let withdrawn = ReauditFacts {
            status: S::Withdrawn,
            ..base
        };
        assert_eq!(withdrawn.state(today), ReauditState::NotDue);
    }
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
