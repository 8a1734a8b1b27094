//! The register of processing (PRIVACY.md) stays true: every schema field whose name points at
//! personal data is listed there, as personal data or as not personal with a reason, and
//! every field it names exists in the schema.
use std::collections::BTreeSet;

/// Name fragments that point at personal data (or data that may hold it).
const MARKERS: [&str; 14] = [
    "email",
    "phone",
    "name",
    "comment",
    "body",
    "details",
    "description",
    "content",
    "author",
    "citizen",
    "actor",
    "remark",
    "reason",
    "address",
];

/// Every `Type.field` of the object and input types of the committed schema.
fn schema_fields() -> BTreeSet<String> {
    let sdl = include_str!("../../schema.graphql");
    // Descriptions out: they are prose, not fields.
    let bare: String = sdl.split("\"\"\"").step_by(2).collect::<Vec<_>>().join(" ");
    let mut fields = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut depth = 0_i32;
    for line in bare.lines().map(str::trim) {
        if let Some(rest) = line
            .strip_prefix("type ")
            .or_else(|| line.strip_prefix("input "))
        {
            current = rest.split([' ', '{']).next().map(str::to_owned);
            depth = 0;
            continue;
        }
        if line.starts_with('}') && depth == 0 {
            current = None;
            continue;
        }
        let Some(type_name) = &current else {
            continue;
        };
        if depth == 0 && !line.is_empty() {
            let field = line.split(['(', ':']).next().unwrap_or_default().trim();
            if !field.is_empty() {
                fields.insert(format!("{type_name}.{field}"));
            }
        }
        depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
    }
    fields
}

/// The `Type.field` names PRIVACY.md mentions (in backticks).
fn register_fields() -> BTreeSet<String> {
    include_str!("../../PRIVACY.md")
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.split_once('.').is_some_and(|(t, f)| {
                t.chars().next().is_some_and(char::is_uppercase)
                    && !f.is_empty()
                    && f.chars().all(char::is_alphanumeric)
            })
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_personal_data_field_of_the_schema_is_in_the_register() {
    let fields = schema_fields();
    assert!(
        fields.contains("SupportRequest.citizenDetails"),
        "the parse found the fields"
    );
    let register = register_fields();
    let missing: Vec<&String> = fields
        .iter()
        .filter(|f| {
            let name = f.split_once('.').map_or("", |(_, n)| n).to_lowercase();
            MARKERS.iter().any(|m| name.contains(m))
        })
        .filter(|f| !register.contains(*f))
        .collect();
    assert!(
        missing.is_empty(),
        "fields that may hold personal data are missing from PRIVACY.md (list each as personal \
         data with its purpose, readers, retention and protection, or as not personal with a \
         reason): {missing:?}"
    );
    let stale: Vec<&String> = register.iter().filter(|f| !fields.contains(*f)).collect();
    assert!(
        stale.is_empty(),
        "PRIVACY.md names fields the schema no longer has: {stale:?}"
    );
}
