# maillage authorization policy: the single source of truth for who may do what.
#
# Actors are `User`s carrying their role assignments (loaded from the database on every
# request, never taken from the token). An `Assignment` has a `role` and, as the role needs,
# a `department` (INSEE code), a `partner` (code), a `structure` (internal id) and that
# structure's `structure_department`; an absent scope is "" or 0, never null, so that
# comparisons are exact.
#
# Lists and counts are filtered in SQL by `StructureScope` (src/auth/scope.rs) and
# `AuditScope` (src/service/audit.rs), which must agree with these rules; tests check both on
# every seeded actor and every row.

# --- Reference data: regions, departments, cantons, communes, partners -------------------
# Public reference data: any signed-in user may read it.
allow(_user: User, "read", _department: Department);
allow(_user: User, "read", _partner: Partner);

# Who steers a department: ANCT everywhere, a prefect in their own departments.
steers(user: User, _department: Department) if
    assignment in user.assignments and
    assignment.role = "ANCT";

steers(user: User, department: Department) if
    assignment in user.assignments and
    assignment.role = "PREFECT" and
    assignment.department = department.code;

# Department steering figures (coverage of cantons, R-07).
allow(user: User, "read_coverage", department: Department) if
    steers(user, department);

# Local partners of a department (a departmental council, a water utility…).
allow(user: User, "add_local_partner", department: Department) if
    steers(user, department);

# Who works in a department: ANCT everywhere, its prefects, operators of any partner
# assigned there or nationally, and the agents of its structures.
works_in(user: User, department: Department) if
    steers(user, department);

works_in(user: User, department: Department) if
    assignment in user.assignments and
    assignment.role = "OPERATOR" and
    (assignment.department = "" or assignment.department = department.code);

works_in(user: User, department: Department) if
    assignment in user.assignments and
    assignment.role = "AGENT" and
    assignment.structure_department = department.code;

# --- Referents (R-10) -----------------------------------------------------------------------
# Everyone working in the department reads its referents (and which core partners lack one).
allow(user: User, "read_referents", department: Department) if
    works_in(user, department);

# A department's prefects manage its referents; so do the operators of the referent's
# partner, nationally or in that department.
allow(user: User, "manage", referent: Referent) if
    assignment in user.assignments and
    assignment.role = "PREFECT" and
    assignment.department = referent.department;

allow(user: User, "manage", referent: Referent) if
    assignment in user.assignments and
    assignment.role = "OPERATOR" and
    assignment.partner = referent.partner and
    (assignment.department = "" or assignment.department = referent.department);

# --- Structures ---------------------------------------------------------------------------
# ANCT: the whole country.
allow(user: User, "read", _structure: Structure) if
    assignment in user.assignments and
    assignment.role = "ANCT";

# PREFECT: the structures of their departments.
allow(user: User, "read", structure: Structure) if
    assignment in user.assignments and
    assignment.role = "PREFECT" and
    assignment.department = structure.department;

# AGENT: their own structure(s).
allow(user: User, "read", structure: Structure) if
    assignment in user.assignments and
    assignment.role = "AGENT" and
    assignment.structure = structure.id;

# AUDITOR: no structure yet (their assigned audits arrive with labelling).
# OPERATOR: no structure yet (their scope comes from the departmental conventions).

# --- Criteria catalogue -------------------------------------------------------------------
# Every signed-in user reads the label's criteria; ANCT loads new framework versions.
allow(_user: User, "read", _catalogue: CriteriaCatalogue);

allow(user: User, "manage", _catalogue: CriteriaCatalogue) if
    assignment in user.assignments and
    assignment.role = "ANCT";

# --- Audit log ----------------------------------------------------------------------------
# ANCT reads every entry; a prefect the entries concerning their departments.
allow(user: User, "read", _entry: AuditEntry) if
    assignment in user.assignments and
    assignment.role = "ANCT";

allow(user: User, "read", entry: AuditEntry) if
    assignment in user.assignments and
    assignment.role = "PREFECT" and
    assignment.department = entry.department;
