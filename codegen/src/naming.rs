//! Case conversion and Rust identifiers: the one place names change shape.
//!
//! # Invariants
//! - `snake_case` and `pascal_case` are pure and total; the same input always gives the same name.
//! - `rust_ident` never returns a keyword: keywords become raw identifiers (`r#type`), and the
//!   four that cannot be raw (`self`, `Self`, `super`, `crate`) get a trailing underscore.

use proc_macro2::{Ident, Span};

/// `camelCase`, `PascalCase` or `SCREAMING_SNAKE` to `snake_case`.
///
/// Word boundaries are underscores and lowercase-or-digit to uppercase transitions; a run of
/// capitals followed by a lowercase letter ends one letter early (`HTTPServer` -> `http_server`).
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (char_idx, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() && char_idx > 0 {
            let previous = chars[char_idx - 1];
            let next_is_lower = chars.get(char_idx + 1).is_some_and(|n| n.is_lowercase());
            let boundary = previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() { "_".to_owned() } else { out }
}

/// Any of the forms above to `PascalCase` (`SWS_CREATE` -> `SwsCreate`, `kernelInfo` -> `KernelInfo`).
pub fn pascal_case(name: &str) -> String {
    let joined = snake_case(name)
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<String>();
    // A Rust type name cannot be empty or start with a digit.
    match joined.chars().next() {
        None => "Unnamed".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("N{joined}"),
        Some(_) => joined,
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// A Rust identifier for `name`, escaping keywords.
pub fn rust_ident(name: &str) -> Ident {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => {
            Ident::new(&format!("{name}_"), Span::call_site())
        }
        _ if KEYWORDS.contains(&name) => Ident::new_raw(name, Span::call_site()),
        _ => Ident::new(name, Span::call_site()),
    }
}

/// The field or method identifier for a GraphQL field or argument name.
pub fn field_ident(graphql_name: &str) -> Ident {
    rust_ident(&snake_case(graphql_name))
}

/// The type or variant identifier for a GraphQL name.
pub fn type_ident(graphql_name: &str) -> Ident {
    rust_ident(&pascal_case(graphql_name))
}

#[cfg(test)]
mod tests;
