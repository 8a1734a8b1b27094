//! Parsed queries kept by their text. Clients send the same few documents again and again (a
//! dashboard, a page of structures, an integration script's queries): each is parsed once
//! per server and later requests start from a copy of the parse, which costs a fraction of
//! parsing again. Validation still runs on every request (it depends on the variables).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Documents longer than this are parsed each time and never kept.
const MAX_KEPT_LEN: usize = 8 * 1024;
/// At most this many documents are kept; the set is emptied when it is full (a client
/// sending ever new documents only ever misses).
const MAX_KEPT: usize = 256;

/// The parsed documents kept, by query text.
#[derive(Default)]
pub struct Documents(RwLock<HashMap<Box<str>, Arc<ExecutableDocument>>>);

impl Documents {
    /// Gives `request` its parsed document, from what is kept when its text was seen before,
    /// else by parsing it (and keeping the parse). Returns the document, or `None` when the
    /// text does not parse: `request.parsed_query()` then gives the error.
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Option<Arc<ExecutableDocument>> {
        let keep = request.query.len() <= MAX_KEPT_LEN;
        if keep {
            let kept = self
                .0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .get(request.query.as_str())
                .cloned();
            if let Some(document) = kept {
                request.set_parsed_query(document.as_ref().clone());
                return Some(document);
            }
        }
        let document = Arc::new(request.parsed_query().ok()?.clone());
        if keep {
            let mut kept = self
                .0
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if kept.len() >= MAX_KEPT {
                kept.clear();
            }
            kept.insert(request.query.as_str().into(), document.clone());
        }
        Some(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_the_same_answer_given_after() {
        let documents = Documents::default();
        let text = "query Page($n: Int) { structures(first: $n) { totalCount } }";
        let mut first = async_graphql::Request::new(text);
        let parsed = documents.prepare(&mut first).expect("parses");
        let mut second = async_graphql::Request::new(text);
        let kept = documents.prepare(&mut second).expect("kept");
        assert!(
            Arc::ptr_eq(&parsed, &kept),
            "the second request reads the kept parse"
        );
        assert_eq!(
            format!("{:?}", second.parsed_query().expect("set")),
            format!("{:?}", first.parsed_query().expect("parsed"))
        );

        // A text that does not parse is not kept, and its request still tells why.
        let mut broken = async_graphql::Request::new("{ structures(first: ) }");
        assert!(documents.prepare(&mut broken).is_none());
        assert!(broken.parsed_query().is_err());
        assert_eq!(documents.0.read().expect("lock").len(), 1);

        // Long texts are parsed each time, never kept.
        let long = format!("{{ {} }}", "__typename ".repeat(MAX_KEPT_LEN / 10));
        let mut request = async_graphql::Request::new(long);
        assert!(documents.prepare(&mut request).is_some());
        assert_eq!(documents.0.read().expect("lock").len(), 1);

        // A full set is emptied, then keeps the newcomer.
        for n in 0..MAX_KEPT {
            let mut request = async_graphql::Request::new(format!("{{ a{n}: __typename }}"));
            documents.prepare(&mut request);
        }
        assert_eq!(documents.0.read().expect("lock").len(), 1);
    }
}
