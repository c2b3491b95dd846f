//! Text for messages: tokens as a person writes them, and lists of names.

use quote::ToTokens;

/// Tokens as a person writes them, without the spaces `to_string` puts
/// around punctuation: `Vec<u8>`, `Self::new`, not `Vec < u8 >`.
pub(crate) fn tokens_to_string(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            let previous = out.chars().last();
            let next = chars.peek().copied();
            let glue = matches!(previous, Some('<' | '&' | ':' | '('))
                || matches!(next, Some('<' | '>' | ',' | ':' | ')'));
            if glue {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `` `a`, `b` and `c` ``
pub(crate) fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|item| format!("`{item}`")).collect();
            format!("{} and `{last}`", init.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn tokens_print_as_written() {
        for (tokens, text) in [
            (quote!(Vec<u8>), "Vec<u8>"),
            (
                quote!(std::collections::HashMap<String, Vec<u8>>),
                "std::collections::HashMap<String, Vec<u8>>",
            ),
            (quote!(&'static str), "&'static str"),
            (quote!((u8, String)), "(u8, String)"),
            (quote!(()), "()"),
            (quote!(Self::new), "Self::new"),
            (quote!(make::<u8, ()>), "make::<u8, ()>"),
        ] {
            assert_eq!(tokens_to_string(&tokens), text);
        }
    }

    #[test]
    fn lists() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
