//! Spike (issue 13): can the SQL scope of structures be derived from the policy? `oso` 0.27
//! never exposed Oso's data filtering, and its host refuses the partial results it needs
//! (`Expression` "not yet supported in this language"). This drives `polar-core`, the engine
//! it wraps, with a minimal host: the actor is an external instance whose attributes this
//! file answers, the resource a variable constrained to `Structure`; the partial results go
//! to `Polar::build_data_filter`. What it shows is written in the README (Authorization).
use std::collections::{BTreeMap, HashMap};

use maillage::auth::policy::{POLICY_SOURCE, PolarAssignment};
use maillage::auth::{Actor, scope};
use polar_core::data_filtering::{PartialResults, Type, Types};
use polar_core::events::{QueryEvent, ResultEvent};
use polar_core::polar::Polar;
use polar_core::terms::{
    Call, Dictionary, ExternalInstance, InstanceLiteral, Operation, Operator, Pattern, Symbol,
    Term, Value,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ExprTrait};
use serde_json::json;

const CLASSES: [&str; 20] = [
    "User",
    "Assignment",
    "Structure",
    "Department",
    "Partner",
    "AuditEntry",
    "CriteriaCatalogue",
    "Referent",
    "LabelAudit",
    "Convention",
    "Signature",
    "FundingEnvelope",
    "Agent",
    "TrainingSession",
    "SupportRequest",
    "QualityProgramme",
    "MysteryVisit",
    "MysteryCampaign",
    "TrainingCatalogue",
    "Figures",
];
const USER_INSTANCE: u64 = 1_000;

fn term(value: Value) -> Term {
    Term::new_from_ffi(value)
}

fn text(s: &str) -> Term {
    term(Value::String(s.to_owned()))
}

/// The actor's assignments as the policy sees them, as Polar dictionaries.
fn assignments_of(actor: &Actor) -> Vec<Term> {
    let user = maillage::auth::policy::PolarUser::from(actor);
    user.assignments.iter().map(dictionary).collect()
}

/// An assignment as a Polar dictionary (no host call needed to read it).
fn dictionary(a: &PolarAssignment) -> Term {
    let mut fields = BTreeMap::new();
    fields.insert(Symbol::new("role"), text(&a.role));
    fields.insert(Symbol::new("department"), text(&a.department));
    fields.insert(Symbol::new("partner"), text(&a.partner));
    fields.insert(
        Symbol::new("partner_department"),
        text(&a.partner_department),
    );
    fields.insert(
        Symbol::new("structure"),
        term(Value::Number(a.structure.into())),
    );
    fields.insert(
        Symbol::new("structure_department"),
        text(&a.structure_department),
    );
    term(Value::Dictionary(Dictionary { fields }))
}

/// The SQL condition on structures the policy implies for `actor` (`None`: every row),
/// translated from the engine's filter: a disjunction of conjunctions of `value op field`.
pub fn derived_condition(polar: &Polar, actor: &Actor) -> Option<Condition> {
    use entity::structure::Column;
    let filter = structure_filter(polar, actor.user_id, assignments_of(actor));
    let disjuncts = filter["conditions"].as_array().expect("conditions");
    let mut any = Condition::any();
    for conjunction in disjuncts {
        let atoms = conjunction.as_array().expect("conjunction");
        if atoms.is_empty() {
            return None;
        }
        let mut all = Condition::all();
        for atom in atoms {
            let (left, op, right) = (&atom[0], atom[1].as_str().expect("op"), &atom[2]);
            let (value, field) = match (&left["Field"], &right["Field"]) {
                (serde_json::Value::Null, f) if !f.is_null() => (&left["Immediate"], f[1].as_str()),
                (f, serde_json::Value::Null) if !f.is_null() => {
                    (&right["Immediate"], f[1].as_str())
                }
                _ => (&left["Immediate"], None),
            };
            let string = value["String"].as_str();
            let number = value["Number"]["Integer"].as_i64();
            all = all.add(match (field, op, string, number) {
                (Some("department"), "Eq", Some(code), _) => {
                    Condition::all().add(Column::DepartmentCode.eq(code))
                }
                (Some("id"), "Eq", _, Some(id)) => Condition::all().add(Column::Id.eq(id)),
                (Some("partners"), "In", Some(code), _) => scope::effective_partner(code),
                (Some("auditors"), "In", _, Some(user)) => scope::audited_by(user),
                (Some("visitors"), "In", _, Some(user)) => scope::visited_by(user),
                (None, "Eq", _, _) if left == right => Condition::all(),
                (None, "Eq", _, _) => Condition::all().add(Expr::val(1).eq(0)),
                other => panic!("no translation for {atom} ({other:?})"),
            });
        }
        any = any.add(all);
    }
    Some(if any.is_empty() {
        Condition::all().add(Expr::val(1).eq(0))
    } else {
        any
    })
}

/// A test assignment with only the scopes given.
fn assignment(role: &str, department: &str, partner: &str, structure: i64) -> Term {
    dictionary(&PolarAssignment {
        role: role.to_owned(),
        department: department.to_owned(),
        partner: partner.to_owned(),
        partner_department: String::new(),
        structure,
        structure_department: String::new(),
    })
}

/// The policy, loaded into a bare engine with our class names registered.
pub fn engine() -> Polar {
    let polar = Polar::new();
    for (i, class) in CLASSES.iter().enumerate() {
        let class_term = term(Value::ExternalInstance(ExternalInstance {
            instance_id: i as u64 + 1,
            constructor: None,
            repr: Some((*class).to_owned()),
            class_repr: Some((*class).to_owned()),
            class_id: Some(i as u64 + 1),
        }));
        polar
            .register_constant(Symbol::new(class), class_term)
            .expect("constant");
        polar
            .register_mro(Symbol::new(class), vec![i as u64 + 1])
            .expect("mro");
    }
    polar.load_str(POLICY_SOURCE).expect("the policy loads");
    polar
}

/// The filter the policy implies for `allow(user, "read", resource: Structure)`.
fn structure_filter(polar: &Polar, user_id: i64, assignments: Vec<Term>) -> serde_json::Value {
    let user = term(Value::ExternalInstance(ExternalInstance {
        instance_id: USER_INSTANCE,
        constructor: None,
        repr: Some("User".into()),
        class_repr: Some("User".into()),
        class_id: Some(1),
    }));
    let resource = Symbol::new("resource");
    let call = term(Value::Call(Call {
        name: Symbol::new("allow"),
        args: vec![user, text("read"), term(Value::Variable(resource.clone()))],
        kwargs: None,
    }));
    let mut query = polar.new_query_from_term(call, false);
    let is_structure = term(Value::Expression(Operation {
        operator: Operator::And,
        args: vec![term(Value::Expression(Operation {
            operator: Operator::Isa,
            args: vec![
                term(Value::Variable(resource.clone())),
                term(Value::Pattern(Pattern::Instance(InstanceLiteral {
                    tag: Symbol::new("Structure"),
                    fields: Dictionary::new(),
                }))),
            ],
        }))],
    }));
    query.bind(resource, is_structure).expect("bind");
    let mut results: PartialResults = Vec::new();
    loop {
        match query.next_event().expect("event") {
            QueryEvent::Done { .. } => break,
            QueryEvent::Result { bindings, .. } => results.push(ResultEvent::new(bindings)),
            QueryEvent::ExternalCall {
                call_id, attribute, ..
            } => {
                let value = match attribute.0.as_str() {
                    "id" => term(Value::Number(user_id.into())),
                    "assignments" => term(Value::List(assignments.clone())),
                    other => panic!("User.{other}"),
                };
                query.call_result(call_id, Some(value)).expect("call");
            }
            QueryEvent::ExternalIsa {
                call_id,
                instance,
                class_tag,
            } => {
                let is = match instance.value() {
                    Value::ExternalInstance(i) => i.class_repr.as_deref() == Some(&class_tag.0),
                    _ => false,
                };
                query.question_result(call_id, is).expect("isa");
            }
            QueryEvent::ExternalIsSubclass {
                call_id,
                left_class_tag,
                right_class_tag,
            } => query
                .question_result(call_id, left_class_tag == right_class_tag)
                .expect("subclass"),
            QueryEvent::ExternalIsaWithPath {
                call_id, class_tag, ..
            } => query
                .question_result(call_id, class_tag.0 == "String")
                .expect("isa with path"),
            other => panic!("unexpected event {other:?}"),
        }
    }
    let mut types: Types = HashMap::new();
    let base = |tag: &str| Type::Base {
        class_tag: tag.to_owned(),
    };
    types.insert(
        "Structure".into(),
        HashMap::from([
            ("id".to_owned(), base("Integer")),
            ("department".to_owned(), base("String")),
            ("partners".to_owned(), base("List")),
            ("auditors".to_owned(), base("List")),
            ("visitors".to_owned(), base("List")),
        ]),
    );
    match polar.build_data_filter(types, results, "resource", "Structure") {
        Ok(filter) => serde_json::to_value(&filter).expect("json"),
        Err(err) => json!({ "error": err.to_string() }),
    }
}

#[test]
fn the_structure_read_rule_compiles_to_a_filter_for_each_kind_of_actor() {
    let polar = engine();
    let filter = |assignments| structure_filter(&polar, 42, assignments)["conditions"].clone();
    assert_eq!(
        filter(vec![assignment("ANCT", "", "", 0)]),
        json!([[]]),
        "ANCT: every row"
    );
    let prefect = json!([[[{ "Immediate": { "String": "59" } }, "Eq", { "Field": ["Structure", "department"] }]]]);
    assert_eq!(filter(vec![assignment("PREFECT", "59", "", 0)]), prefect);
    let agent = json!([[[{ "Immediate": { "Number": { "Integer": 7 } } }, "Eq", { "Field": ["Structure", "id"] }]]]);
    assert_eq!(filter(vec![assignment("AGENT", "", "", 7)]), agent);
    let auditor = json!([
        [[{ "Immediate": { "Number": { "Integer": 42 } } }, "In", { "Field": ["Structure", "auditors"] }]],
        [[{ "Immediate": { "Number": { "Integer": 42 } } }, "In", { "Field": ["Structure", "visitors"] }]],
    ]);
    assert_eq!(filter(vec![assignment("AUDITOR", "", "", 0)]), auditor);
    let caf = json!([[{ "Immediate": { "String": "CAF" } }, "In", { "Field": ["Structure", "partners"] }]]);
    let operator = filter(vec![assignment("OPERATOR", "", "CAF", 0)]);
    assert!(
        operator.as_array().is_some_and(|d| d.contains(&caf)),
        "a national operator: where CAF is effective: {operator}"
    );
    let nothing = json!([[[{ "Immediate": { "Boolean": true } }, "Eq", { "Immediate": { "Boolean": false } }]]]);
    assert_eq!(filter(vec![]), nothing, "no role: no row");
}
