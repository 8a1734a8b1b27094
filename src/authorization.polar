# maillage authorization policy: the single source of truth for who may do what.
#
# Actors are `User`s carrying their role assignments (loaded from the database on every
# request, never taken from the token). An `Assignment` has a `role` and, as the role needs,
# a `department` (INSEE code), a `partner` (code) and, for a local partner, its
# `partner_department`, a `structure` (internal id) and that structure's
# `structure_department`; an absent scope is "" or 0, never null, so that comparisons are
# exact. A `Structure` carries its effective `partners` (codes) and the user ids of its
# assigned `auditors` and mystery `visitors`; an `Agent` its `structures` and the training
# `sessions` it is enrolled in. Rules say who the caller is through the helpers below (`is_anct`, `prefect_of`,
# `agent_of`, `operates_for`, `steers`, `works_in`), never by reading assignments
# themselves.
#
# Where one Polar call per row would cost too much (lists, counts, relations, field guards),
# the services use SQL mirrors of these rules, each beside the service it serves:
#   structures     `StructureScope` (`read`), `StructureView::internal` (`read_internal`),
#                  `StructureView::steered` (`read_funding`, and every rule of `steers`)
#                  in src/auth/scope.rs;
#   audit log      `AuditScope` (src/service/audit.rs);
#   label audits   `audits_page` (src/service/labelling.rs);
#   support        `SupportScope`, `ContentView` (src/service/support.rs);
#   report entries `reporting::scoped` (`read_reports`, src/service/reporting.rs);
#   mystery visits `visits_in_scope` (src/service/mystery.rs);
#   agents         `Structure.agents` behind `read_internal`;
#   dashboards     `DashboardScope` over `Figures` cells (src/service/dashboard.rs).
# `node(id)` asks the policy itself for every type. Tests hold each mirror to the policy:
# tests/api/policy.rs on the real sites, tests/api/dashboard.rs cell by cell, and
# tests/api/reach.rs for every `Node` type and every kind of actor, generated from the
# schema (what `node` reads equals what lists and relations show, field by field).

# --- Who the caller is ----------------------------------------------------------------------
is_anct(user: User) if
    assignment in user.assignments and
    assignment.role = "ANCT";

# ANCT's data-protection officer (RGPD): the read log of citizens' content, nothing else.
is_data_protection(user: User) if
    assignment in user.assignments and
    assignment.role = "DATA_PROTECTION";

is_prefect(user: User) if
    assignment in user.assignments and
    assignment.role = "PREFECT";

is_auditor(user: User) if
    assignment in user.assignments and
    assignment.role = "AUDITOR";

holds_a_role(user: User) if
    _assignment in user.assignments;

# A prefect of this department (INSEE code).
prefect_of(user: User, department) if
    assignment in user.assignments and
    assignment.role = "PREFECT" and
    assignment.department = department;

# An agent of this structure (internal id).
agent_of(user: User, structure) if
    assignment in user.assignments and
    assignment.role = "AGENT" and
    assignment.structure = structure;

# An agent of a structure of this department.
agent_in(user: User, department) if
    assignment in user.assignments and
    assignment.role = "AGENT" and
    assignment.structure_department = department;

# An operator of this partner in this department: assigned there or nationally. A local
# partner is tied to its department: its operators act there only, whatever their
# assignment says.
operates_for(user: User, partner, department) if
    assignment in user.assignments and
    assignment.role = "OPERATOR" and
    assignment.partner = partner and
    (assignment.partner_department = "" or assignment.partner_department = department) and
    (assignment.department = "" or assignment.department = department);

# --- Reference data: regions, departments, cantons, communes, partners -------------------
# Public reference data: any signed-in user may read it.
allow(_user: User, "read", _department: Department);
allow(_user: User, "read", _partner: Partner);

# Who steers a department: ANCT everywhere, a prefect in their own departments.
steers(user: User, department: Department) if
    steers(user, department.code);

steers(user: User, _code: String) if
    is_anct(user);

steers(user: User, code: String) if
    prefect_of(user, code);

# Department steering figures (coverage of cantons, R-07).
allow(user: User, "read_coverage", department: Department) if
    steers(user, department);

# A department's deployment target (shown with its coverage): set by ANCT.
allow(user: User, "set_target", _department: Department) if
    is_anct(user);

# Drafting the department's convention: its prefects.
allow(user: User, "draft_convention", department: Department) if
    prefect_of(user, department.code);

# Local partners of a department (a departmental council, a water utility…).
allow(user: User, "add_local_partner", department: Department) if
    steers(user, department);

# Who works in a department: ANCT everywhere, its prefects, operators of any partner
# assigned there or nationally, and the agents of its structures.
works_in(user: User, department: Department) if
    works_in_code(user, department.code);

works_in_code(user: User, code: String) if
    steers(user, code);

works_in_code(user: User, code: String) if
    operates_for(user, _partner, code);

works_in_code(user: User, code: String) if
    agent_in(user, code);

# --- Referents (R-10) -----------------------------------------------------------------------
# Everyone working in the department reads its referents (and which core partners lack one),
# through the department (`Department.referents`) or the partner (`Partner.referents`, its
# referents in the departments where the reader works).
allow(user: User, "read_referents", department: Department) if
    works_in(user, department);

# A department's prefects manage its referents; so do the operators of the referent's
# partner, nationally or in that department.
allow(user: User, "manage", referent: Referent) if
    prefect_of(user, referent.department);

allow(user: User, "manage", referent: Referent) if
    operates_for(user, referent.partner, referent.department);

# --- Structures ---------------------------------------------------------------------------
# ANCT: the whole country.
allow(user: User, "read", _structure: Structure) if
    is_anct(user);

# PREFECT: the structures of their departments.
allow(user: User, "read", structure: Structure) if
    prefect_of(user, structure.department);

# AGENT: their own structure(s).
allow(user: User, "read", structure: Structure) if
    agent_of(user, structure.id);

# AUDITOR: the structures of the audits and of the mystery visits assigned to them (a
# visitor must find the place to go there); their public facts only.
allow(user: User, "read", structure: Structure) if
    is_auditor(user) and
    (user.id in structure.auditors or user.id in structure.visitors);

# OPERATOR: the structures where their partner is an effective partner (a signatory of the
# department's signed convention, or named in the structure's annex, R-13), in their
# department or everywhere for a national assignment. They get the restricted view only.
allow(user: User, "read", structure: Structure) if
    partner in structure.partners and
    operates_for(user, partner, structure.department);

# Internal data of a structure (self-assessment, audits, compliance, legacy status, agents):
# ANCT, the department's prefects and the structure's own agents. Anyone else who reads the
# structure gets its public facts only.
allow(user: User, "read_internal", _structure: Structure) if
    is_anct(user);

allow(user: User, "read_internal", structure: Structure) if
    prefect_of(user, structure.department);

allow(user: User, "read_internal", structure: Structure) if
    agent_of(user, structure.id);

# Funding amounts (R-42): ANCT and the department's prefects only.
allow(user: User, "read_funding", structure: Structure) if
    steers(user, structure.department);

# --- A structure's life (issue 15) -------------------------------------------------------------
# ANCT and the department's prefects create candidates, change a structure's facts (address,
# hours, premises, equipment…), close and reopen it, and set the stops of a mobile service.
# Creation asks about the structure to be (id 0) in its department.
allow(user: User, "manage", structure: Structure) if
    steers(user, structure.department);

# The national list in the ANCT open-data format (`GET /export/sites.csv`): ANCT, which
# publishes it (also `maillage export sites` on the server).
allow(user: User, "read", _export: SitesExport) if
    is_anct(user);

# --- Label workflow (R-01..R-06) --------------------------------------------------------------
# The prefect proposes and labels; ANCT schedules audits, approves and withdraws; the
# assigned auditor records and submits (see `LabelAudit`). The state machine is in
# src/domain/label_workflow.rs.
allow(user: User, "propose_label", structure: Structure) if
    prefect_of(user, structure.department);

allow(user: User, "label", structure: Structure) if
    allow(user, "propose_label", structure);

allow(user: User, action: String, _structure: Structure) if
    action in ["schedule_audit", "approve_label", "withdraw_label"] and
    is_anct(user);

# An audit: its auditor records and submits it. ANCT and the department's prefects read it.
allow(user: User, "conduct", audit: LabelAudit) if
    is_auditor(user) and
    audit.auditor = user.id;

allow(user: User, "read", audit: LabelAudit) if
    allow(user, "conduct", audit) or
    steers(user, audit.department);

# --- Funding (R-40..R-42) ----------------------------------------------------------------------
# Operating lump sums and investment grants: ANCT or the department's prefects. Mobile-bus
# grants draw on the national envelope: ANCT only.
allow(user: User, "grant_funding", structure: Structure) if
    steers(user, structure.department);

allow(user: User, "grant_bus_funding", _structure: Structure) if
    is_anct(user);

# The national envelopes' totals: ANCT and every prefect.
allow(user: User, "read", _envelope: FundingEnvelope) if
    (is_anct(user) or is_prefect(user));

# --- Conventions (R-09, R-13) ------------------------------------------------------------------
# Everyone working in the department reads its convention, annexes and amendments.
allow(user: User, "read", convention: Convention) if
    works_in_code(user, convention.department);

# The department's prefect drafts it, lists partners, adds annexes and amendments, and
# declares it signed.
allow(user: User, "manage", convention: Convention) if
    prefect_of(user, convention.department);

# A partner's signature is recorded by an operator of that partner (nationally or in the
# department) or by the department's prefect.
allow(user: User, "sign", signature: Signature) if
    prefect_of(user, signature.department);

allow(user: User, "sign", signature: Signature) if
    operates_for(user, signature.partner, signature.department);

# --- Criteria catalogue -------------------------------------------------------------------
# Every signed-in user reads the label's criteria; ANCT loads new framework versions.
allow(_user: User, "read", _catalogue: CriteriaCatalogue);

allow(user: User, "manage", _catalogue: CriteriaCatalogue) if
    is_anct(user);

# --- API keys -----------------------------------------------------------------------------
# ANCT lists, creates and revokes the keys of integration scripts (also `maillage apikey` on
# the server). A key acts through this policy like a user with its one assignment.
allow(user: User, "manage", _keys: ApiKeys) if
    is_anct(user);

# --- Audit log ----------------------------------------------------------------------------
# ANCT reads every entry; a prefect the entries concerning their departments.
allow(user: User, "read", _entry: AuditEntry) if
    is_anct(user);

allow(user: User, "read", entry: AuditEntry) if
    prefect_of(user, entry.department);

# --- Agents and training (R-12, R-14) ----------------------------------------------------------
# A department's prefects register the agents of its structures (agents may also register
# through the structure's single-use onboarding code, which needs no account).
allow(user: User, "register_agent", structure: Structure) if
    prefect_of(user, structure.department);

# An agent (name, training, structures) is internal data of their structures: read by whoever
# reads the internal data of one of them (ANCT, its prefects, its agents), on every path
# (`node`, `Structure.agents`, mutations' answers).
allow(user: User, "read", agent: Agent) if
    structure in agent.structures and
    allow(user, "read_internal", structure);

# The organisers of a session read its trainees (the roster), not their personal data.
allow(user: User, "read", agent: Agent) if
    session in agent.sessions and
    allow(user, "organise", session);

# An agent's personal data (e-mail, phone) is read by whoever reads the internal data of
# one of their structures: ANCT, its prefects, its agents.
allow(user: User, "read_personal_data", agent: Agent) if
    structure in agent.structures and
    allow(user, "read_internal", structure);

# Enrolling an agent in training: the prefect of one of their structures' departments, or
# an agent of one of their structures (themselves included).
allow(user: User, "enrol", agent: Agent) if
    structure in agent.structures and
    (allow(user, "register_agent", structure) or
     agent_of(user, structure.id));

# The training modules: every signed-in user.
allow(_user: User, "read", _catalogue: TrainingCatalogue);

# Training sessions of a department (and their seats): everyone working there. Online
# sessions (asked as the department "") : every user who holds a role.
allow(user: User, "read_training", department: Department) if
    department.code != "" and
    works_in(user, department);

allow(user: User, "read_training", department: Department) if
    department.code = "" and
    holds_a_role(user);

# Organising a session and recording its attendance: ANCT; the prefect of its department;
# the operators of its trainer partner (nationally or in that department).
allow(user: User, "organise", session: TrainingSession) if
    steers(user, session.department);

allow(user: User, "organise", session: TrainingSession) if
    session.partner != "" and
    operates_for(user, session.partner, session.department);

# --- Administration+ support requests (R-30..R-33) ----------------------------------------------
# The content of a request (subject, description, the citizen's details, messages,
# attachments) is the citizen's private data: the operators of the addressed partner
# (nationally or in the request's department) and the agents of the structure that sent it.
allow(user: User, "read_content", request: SupportRequest) if
    operates_for(user, request.partner, request.department);

allow(user: User, "read_content", request: SupportRequest) if
    agent_of(user, request.structure);

# Its live events (a request sent, a message, a deadline passed: `supportEvents`) go to
# those who read its content.
allow(user: User, "follow", request: SupportRequest) if
    allow(user, "read_content", request);

# Its metadata and delays: those, plus ANCT and the department's prefects (never the
# content).
allow(user: User, "read", request: SupportRequest) if
    allow(user, "read_content", request) or
    steers(user, request.department);

# The structure's agents send requests and reopen them; both sides write messages and
# close an answered request.
allow(user: User, "send", request: SupportRequest) if
    agent_of(user, request.structure);

allow(user: User, "reopen", request: SupportRequest) if
    allow(user, "send", request);

allow(user: User, action: String, request: SupportRequest) if
    action in ["write", "close"] and
    allow(user, "read_content", request);

# Every read of a request's content (details, messages, attachments) is logged with its
# reader; the log is read by ANCT's data-protection officer and by nobody else (RGPD).
allow(user: User, "read", _log: ContentReads) if
    is_data_protection(user);

# The rights of the people concerned (RGPD art. 15 and 17): finding every request about a
# citizen by the identifiers they give, exporting it and erasing it. ANCT's data-protection
# officer handles them.
allow(user: User, "handle", _rights: CitizenRights) if
    is_data_protection(user);

# --- Reporting ("saisie unitaire") --------------------------------------------------------------
# The structure's agents record and correct its entries; ANCT, the department's prefects and
# the structure's agents read them. Operators get aggregates only (dashboards).
allow(user: User, "record_report", structure: Structure) if
    agent_of(user, structure.id);

allow(user: User, "read_reports", structure: Structure) if
    allow(user, "read_internal", structure);

# --- Surveys and mystery visits (R-18) ----------------------------------------------------------
# ANCT runs the quality programme: survey campaigns, mystery-visit campaigns and their
# visitors, publication.
allow(user: User, "manage", _programme: QualityProgramme) if
    is_anct(user);

# Campaigns themselves are public to signed-in users.
allow(_user: User, "read", _programme: QualityProgramme);

# A structure's users'-survey code: issued to those who see its internal data.
allow(user: User, "issue_survey_code", structure: Structure) if
    allow(user, "read_internal", structure);

# Survey results of a structure: ANCT, its prefects and its agents; the free comments only
# to ANCT and its prefects (agents get aggregates).
allow(user: User, "read_survey_results", structure: Structure) if
    allow(user, "read_internal", structure);

allow(user: User, "read_survey_comments", structure: Structure) if
    steers(user, structure.department);

# The agents' survey: answered by the structure's agents.
allow(user: User, "answer_agent_survey", structure: Structure) if
    agent_of(user, structure.id);

# The draw of a mystery campaign (its seed and how many structures per department) stays with
# ANCT and the prefectures until the results are published: the visits are unannounced.
allow(_user: User, "read_draw", campaign: MysteryCampaign) if
    campaign.published;

allow(user: User, "read_draw", _campaign: MysteryCampaign) if
    (is_anct(user) or is_prefect(user));

# A mystery visit: its assigned visitor records it; ANCT and the department's prefects read
# it; the structure's agents once ANCT has published the campaign.
allow(user: User, "record", visit: MysteryVisit) if
    is_auditor(user) and
    visit.visitor = user.id;

allow(user: User, "read", visit: MysteryVisit) if
    allow(user, "record", visit) or
    steers(user, visit.department);

allow(user: User, "read", visit: MysteryVisit) if
    visit.published and
    agent_of(user, visit.structure);

# --- Dashboards (issue 5) --------------------------------------------------------------------
# Every dashboard figure adds up `Figures` cells: a department, the partner the figure is
# about ("" for figures about the structures themselves) and a structure. ANCT and the
# department's prefects read every cell; an operator the cells about their partner in their
# department (everywhere for a national assignment); an agent their structure's cells.
# A user holding several roles gets the slice of the broadest one (DashboardScope::of).
allow(user: User, "read", cell: Figures) if
    steers(user, cell.department);

allow(user: User, "read", cell: Figures) if
    cell.partner != "" and
    operates_for(user, cell.partner, cell.department);

allow(user: User, "read", cell: Figures) if
    agent_of(user, cell.structure);

# Funding amounts (R-42) and canton coverage (R-07) steer a department: ANCT and its
# prefects only.
allow(user: User, "read_steering", cell: Figures) if
    steers(user, cell.department);
