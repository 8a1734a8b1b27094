//! Introspection for every client (issue 11): the exact documents graphql-js 16 (every
//! option on, and its default), graphql-core 3 and GraphiQL send are answered in full, and
//! the schema they read back is the one committed in `schema.graphql`.
use std::collections::BTreeMap;

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};

use crate::helpers::*;

/// The documents, as the client libraries print them (`tests/api/fixtures/introspection`,
/// regenerated with `getIntrospectionQuery()` / `get_introspection_query()`).
const CLIENTS: [(&str, &str); 3] = [
    (
        "graphql-js 16, every option",
        include_str!("fixtures/introspection/graphql-js-16-all-options.graphql"),
    ),
    (
        "graphql-js 16, default (GraphiQL)",
        include_str!("fixtures/introspection/graphql-js-16-default.graphql"),
    ),
    (
        "graphql-core 3, every option",
        include_str!("fixtures/introspection/graphql-core-3-all-options.graphql"),
    ),
];

/// A type reference as SDL writes it, from its introspection form.
fn type_ref(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&t["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().expect("named type").to_owned(),
    }
}

/// One line per fact of a type (kind, description, fields with arguments and deprecation,
/// input fields with defaults, enum values, interfaces, members), from introspection.
fn facts_of_introspection(schema: &Value, descriptions: bool) -> BTreeMap<String, Vec<String>> {
    let mut facts = BTreeMap::new();
    for t in schema["types"].as_array().expect("types") {
        let name = t["name"].as_str().expect("name");
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        let mut lines = vec![format!("kind {}", t["kind"].as_str().expect("kind"))];
        if descriptions {
            lines.push(format!("description {}", t["description"]));
        }
        let value = |v: &Value, what: &str| -> String {
            let mut line = format!(
                "{what} {}: {}",
                v["name"].as_str().expect("name"),
                type_ref(&v["type"])
            );
            if let Some(default) = v["defaultValue"].as_str() {
                line.push_str(&format!(" = {default}"));
            }
            if descriptions {
                line.push_str(&format!(" \"{}\"", v["description"]));
            }
            line
        };
        for f in t["fields"].as_array().into_iter().flatten() {
            let mut line = format!(
                "field {}: {}",
                f["name"].as_str().expect("name"),
                type_ref(&f["type"])
            );
            if f["isDeprecated"] == true {
                line.push_str(&format!(" deprecated({})", f["deprecationReason"]));
            }
            if descriptions {
                line.push_str(&format!(" \"{}\"", f["description"]));
            }
            lines.push(line);
            for a in f["args"].as_array().into_iter().flatten() {
                lines.push(value(
                    a,
                    &format!("arg {}.", f["name"].as_str().expect("name")),
                ));
            }
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            lines.push(value(f, "input"));
        }
        for v in t["enumValues"].as_array().into_iter().flatten() {
            lines.push(format!("value {}", v["name"].as_str().expect("name")));
        }
        for i in t["interfaces"].as_array().into_iter().flatten() {
            lines.push(format!("implements {}", i["name"].as_str().expect("name")));
        }
        for p in t["possibleTypes"].as_array().into_iter().flatten() {
            lines.push(format!("member {}", p["name"].as_str().expect("name")));
        }
        lines.sort();
        facts.insert(name.to_owned(), lines);
    }
    facts
}

/// The same facts, read from `schema.graphql`.
fn facts_of_sdl(sdl: &str, descriptions: bool) -> BTreeMap<String, Vec<String>> {
    let document = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
    let text = |d: &Option<async_graphql::Positioned<String>>| -> String {
        serde_json::to_string(&d.as_ref().map(|d| d.node.clone())).expect("json")
    };
    let mut facts = BTreeMap::new();
    let mut members: Vec<(String, String)> = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(t) = definition else {
            continue;
        };
        let t = &t.node;
        let name = t.name.node.to_string();
        let kind = match &t.kind {
            TypeKind::Scalar => "SCALAR",
            TypeKind::Object(_) => "OBJECT",
            TypeKind::Interface(_) => "INTERFACE",
            TypeKind::Union(_) => "UNION",
            TypeKind::Enum(_) => "ENUM",
            TypeKind::InputObject(_) => "INPUT_OBJECT",
        };
        let mut lines = vec![format!("kind {kind}")];
        if descriptions {
            lines.push(format!("description {}", text(&t.description)));
        }
        let value = |v: &async_graphql::parser::types::InputValueDefinition, what: &str| {
            let mut line = format!("{what} {}: {}", v.name.node, v.ty.node);
            if let Some(default) = &v.default_value {
                line.push_str(&format!(" = {}", default.node));
            }
            if descriptions {
                line.push_str(&format!(" \"{}\"", text(&v.description)));
            }
            line
        };
        let fields = match &t.kind {
            TypeKind::Object(o) => {
                for i in &o.implements {
                    lines.push(format!("implements {}", i.node));
                    members.push((i.node.to_string(), name.clone()));
                }
                &o.fields
            }
            TypeKind::Interface(o) => {
                for i in &o.implements {
                    lines.push(format!("implements {}", i.node));
                }
                &o.fields
            }
            _ => &Vec::new(),
        };
        for f in fields {
            let f = &f.node;
            let mut line = format!("field {}: {}", f.name.node, f.ty.node);
            if let Some(d) = f
                .directives
                .iter()
                .find(|d| d.node.name.node == "deprecated")
            {
                let reason = d
                    .node
                    .get_argument("reason")
                    .map(|r| r.node.to_string())
                    .unwrap_or_else(|| "\"No longer supported\"".into());
                line.push_str(&format!(" deprecated({reason})"));
            }
            if descriptions {
                line.push_str(&format!(" \"{}\"", text(&f.description)));
            }
            lines.push(line);
            for a in &f.arguments {
                lines.push(value(&a.node, &format!("arg {}.", f.name.node)));
            }
        }
        match &t.kind {
            TypeKind::InputObject(o) => {
                for f in &o.fields {
                    lines.push(value(&f.node, "input"));
                }
            }
            TypeKind::Enum(e) => {
                for v in &e.values {
                    lines.push(format!("value {}", v.node.value.node));
                }
            }
            TypeKind::Union(u) => {
                for m in &u.members {
                    lines.push(format!("member {}", m.node));
                }
            }
            _ => {}
        }
        facts.insert(name, lines);
    }
    for (interface, member) in members {
        if let Some(lines) = facts.get_mut(&interface) {
            lines.push(format!("member {member}"));
        }
    }
    for lines in facts.values_mut() {
        lines.sort();
    }
    facts
}

#[tokio::test]
async fn every_clients_introspection_reads_back_the_committed_schema() {
    let app = spawn_app().await;
    let sdl = include_str!("../../schema.graphql");
    for (client, query) in CLIENTS {
        let response = app.query_as(AGENT_LILLE, query, json!({})).await;
        let schema = &data(&response)["__schema"];
        assert_eq!(schema["queryType"]["name"], "Query", "{client}");
        let read = facts_of_introspection(schema, true);
        let committed = facts_of_sdl(sdl, true);
        // The comparison sees what matters: many types, descriptions, a deprecation.
        assert!(committed.len() > 100, "{} types", committed.len());
        let lines: Vec<&String> = committed.values().flatten().collect();
        assert!(lines.iter().any(|l| l.contains("deprecated(")));
        assert!(lines.iter().any(|l| l.starts_with("description \"")));
        assert_eq!(
            read.keys().collect::<Vec<_>>(),
            committed.keys().collect::<Vec<_>>(),
            "{client}: the types"
        );
        for (name, facts) in &committed {
            assert_eq!(&read[name], facts, "{client}: type {name}");
        }
    }
}

#[tokio::test]
async fn anonymous_introspection_is_answered_in_demo_mode() {
    let app = spawn_demo_mode_app().await;
    let (_, query) = CLIENTS[0];
    let response = app.post(None, query, json!({})).await;
    assert!(
        data(&response)["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 50)
    );
}
