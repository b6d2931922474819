//! A bounded cache of parsed GraphQL documents keyed by their query text.
//!
//! Clients send the same query text again and again with new variables (jitosctl, jitos-load,
//! any generated client), and parsing is a large share of a small request's cost. A hit hands
//! async-graphql the parsed document; validation and execution run as always, so a cached
//! document behaves exactly like a freshly parsed one.
//!
//! # Invariants
//! - Only documents that parsed successfully are cached, and only for query texts of at most
//!   [`QUERY_BYTES_CACHED_MAX`] bytes: the cache holds at most
//!   [`ENTRIES_MAX`] × that many bytes of text plus their documents.
//! - When full, the least recently used entry goes. Recency is a counter, not a clock.
//! - The cache never changes an answer: it maps a text to the document `parse_query` gives for
//!   that text, which is a pure function.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_graphql::parser::types::ExecutableDocument;

/// Most entries kept.
pub(crate) const ENTRIES_MAX: usize = 256;

/// Longest query text cached; longer ones are parsed every time.
pub(crate) const QUERY_BYTES_CACHED_MAX: usize = 8 * 1024;

#[derive(Default)]
struct Entries {
    /// Query text → (document, last use).
    by_text: BTreeMap<String, (ExecutableDocument, u64)>,
    uses: u64,
}

/// Parsed documents by query text.
#[derive(Default)]
pub(crate) struct ParseCache {
    entries: Mutex<Entries>,
}

impl ParseCache {
    /// Puts the parsed document of `request`'s query into it, from the cache or by parsing
    /// (and then caching) it. A query that does not parse is left for async-graphql to report.
    pub(crate) fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > QUERY_BYTES_CACHED_MAX {
            return;
        }
        if let Some(document) = self.get(&request.query) {
            request.set_parsed_query(document);
            return;
        }
        if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            self.insert(request.query.clone(), document);
        }
    }

    fn get(&self, query: &str) -> Option<ExecutableDocument> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.uses += 1;
        let now = entries.uses;
        let (document, last_use) = entries.by_text.get_mut(query)?;
        *last_use = now;
        Some(document.clone())
    }

    fn insert(&self, query: String, document: ExecutableDocument) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.by_text.len() >= ENTRIES_MAX && !entries.by_text.contains_key(&query) {
            let oldest = entries
                .by_text
                .iter()
                .min_by_key(|(_, (_, last_use))| *last_use)
                .map(|(text, _)| text.clone());
            if let Some(oldest) = oldest {
                entries.by_text.remove(&oldest);
            }
        }
        entries.uses += 1;
        let now = entries.uses;
        entries.by_text.insert(query, (document, now));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .by_text
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::{ENTRIES_MAX, ParseCache, QUERY_BYTES_CACHED_MAX};

    fn request(query: &str) -> async_graphql::Request {
        async_graphql::Request::new(query)
    }

    #[test]
    fn a_hit_gives_the_document_a_fresh_parse_gives() {
        let cache = ParseCache::default();
        let query = "query Q($v: Int) { a(x: $v) { b } }";
        let mut first = request(query);
        cache.prepare(&mut first);
        let mut second = request(query);
        cache.prepare(&mut second);
        let fresh = async_graphql::parser::parse_query(query).expect("parses");
        let cached = second.parsed_query().expect("set from the cache");
        assert_eq!(format!("{cached:?}"), format!("{fresh:?}"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn unparsable_and_oversized_queries_are_not_cached() {
        let cache = ParseCache::default();
        cache.prepare(&mut request("{ a "));
        let long = format!("{{ {} }}", "a ".repeat(QUERY_BYTES_CACHED_MAX));
        cache.prepare(&mut request(&long));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let cache = ParseCache::default();
        for n in 0..ENTRIES_MAX {
            cache.prepare(&mut request(&format!("{{ f{n} }}")));
        }
        // Touch the first one, then add one more: the second one is the oldest now.
        cache.prepare(&mut request("{ f0 }"));
        cache.prepare(&mut request("{ extra }"));
        assert_eq!(cache.len(), ENTRIES_MAX);
        assert!(cache.get("{ f0 }").is_some());
        assert!(cache.get("{ f1 }").is_none());
        assert!(cache.get("{ extra }").is_some());
    }
}
