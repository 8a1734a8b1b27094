//! Relay global ids: `base64("Type:key")`, opaque to clients, stable across databases
//! (built on matricules and INSEE codes, never on internal row ids).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// The object types that `node(id)` can return.
#[derive(Copy, Clone, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
pub enum NodeType {
    /// A structure, keyed by matricule.
    Structure,
    /// A department, keyed by INSEE code.
    Department,
    /// A canton, keyed by INSEE code.
    Canton,
    /// A commune or arrondissement, keyed by INSEE code.
    Commune,
    /// A partner, keyed by code.
    Partner,
    /// A referent, keyed by internal id.
    Referent,
    /// A labelling audit, keyed by internal id.
    LabelAudit,
    /// An agent, keyed by internal id.
    Agent,
    /// A training session, keyed by internal id.
    TrainingSession,
    /// An Administration+ support request, keyed by internal id.
    SupportRequest,
    /// A report entry, keyed by internal id.
    ReportEntry,
    /// A survey campaign, keyed by internal id.
    SurveyCampaign,
    /// A mystery-visit campaign, keyed by internal id.
    MysteryCampaign,
    /// A mystery visit, keyed by internal id.
    MysteryVisit,
}

/// The global id of the object of type `node` with key `key`.
pub fn encode(node: NodeType, key: &str) -> String {
    let prefix: &'static str = node.into();
    URL_SAFE_NO_PAD.encode(format!("{prefix}:{key}"))
}

/// The internal id of a global id of type `node`, else `NOT_FOUND` for `what`.
pub fn internal_id(id: &str, node: NodeType, what: &str) -> Result<i64, crate::error::AppError> {
    decode(id)
        .filter(|(n, _)| *n == node)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| crate::error::AppError::not_found(what, id))
}

/// The type and key of a global id, or `None` when it is not one of ours.
pub fn decode(id: &str) -> Option<(NodeType, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (prefix, key) = text.split_once(':')?;
    Some((prefix.parse().ok()?, key.to_owned()))
}

/// The key of `id` if it is a global id of a `node`, parsed (e.g. an internal number).
pub fn decode_as<T: std::str::FromStr>(id: &str, node: NodeType) -> Option<T> {
    decode(id)
        .filter(|(found, _)| *found == node)
        .and_then(|(_, key)| key.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_garbage() {
        let id = encode(NodeType::Structure, "1820");
        assert_eq!(decode(&id), Some((NodeType::Structure, "1820".to_owned())));
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Planet:3")), None);
    }
}
