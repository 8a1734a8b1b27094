# maillage authorization policy: the single source of truth for who may do what.
#
# Actors are `User`s carrying their role assignments (loaded from the database on every
# request, never taken from the token). An `Assignment` has a `role` and, as the role needs,
# a `department` (INSEE code), a `partner` (code) and a `structure` (internal id); an
# absent scope is "" or 0, never null, so that comparisons are exact.
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

# AUDITOR: no structure yet (their assigned audits arrive with labelling).
# OPERATOR: no structure yet (their scope comes from the departmental conventions).
