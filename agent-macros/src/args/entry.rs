//! The syntax of one argument: `key = value` up to the next comma, and the
//! malformed shapes written instead (`task_type("bq")`, a lone `"bq"`, a
//! missing comma, `key =` with nothing after it), each reported with what
//! to write.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Ident, LitStr, Token};

use super::{KEYS, Key, LONE_LITERAL_KEY};
use crate::ctxt::Ctxt;
use crate::model::Kind;
use crate::text::{list, tokens_to_string};

/// One argument as read.
pub(super) enum Entry {
    /// `key = value`. The value is `None` when the argument was malformed
    /// (and reported) but named a known key, which then counts as given.
    Argument {
        key: Ident,
        value: Option<TokenStream>,
    },
    /// A lone string literal, `#[sync_agent("bq")]`: reported as the
    /// required key written without its name.
    LoneLiteral,
    /// Something that is not an argument at all, reported.
    Other,
}

/// Reads one argument, up to (not including) the comma after it.
pub(super) fn parse(kind: Kind, input: ParseStream, ctxt: &Ctxt) -> syn::Result<Entry> {
    let Ok(key) = input.call(Ident::parse_any) else {
        let culprit = skip_to_comma(input)?;
        if let Ok(lit) = syn::parse2::<LitStr>(culprit.clone()) {
            ctxt.error_spanned_by(
                &lit,
                format!(
                    "expected `key = value` arguments: write `#[{}({LONE_LITERAL_KEY} = {})]`",
                    kind.attribute(),
                    lit.token()
                ),
            );
            return Ok(Entry::LoneLiteral);
        }
        ctxt.error_spanned_by(
            culprit,
            format!(
                "expected `key = value` arguments, such as `#[{}({})]`; valid keys are {}",
                kind.attribute(),
                KEYS[0].example,
                list(&KEYS.iter().map(|key| key.name).collect::<Vec<_>>())
            ),
        );
        return Ok(Entry::Other);
    };
    let known = super::key(&key.unraw().to_string());
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value = skip_to_comma(input)?;
        return Ok(Entry::Argument {
            value: value_of(&key, known, value, ctxt),
            key,
        });
    }
    let rest = skip_to_comma(input)?;
    let Some(known) = known else {
        // Reported as unknown, whatever follows.
        return Ok(Entry::Argument {
            key,
            value: Some(TokenStream::new()),
        });
    };
    let message = match parenthesized(&rest) {
        // `task_type("bigquery")`
        Some(inner) => format!(
            "malformed argument `{key}`: arguments are written `key = value`: write \
             `{key} = {}`",
            tokens_to_string(&inner)
        ),
        None => format!(
            "malformed argument `{key}`: arguments are written `key = value`, such as {}",
            known.written()
        ),
    };
    let culprit = if rest.is_empty() {
        key.to_token_stream()
    } else {
        rest
    };
    ctxt.error_spanned_by(culprit, message);
    Ok(Entry::Argument { key, value: None })
}

/// The tokens after `key =`, or `None` when they are malformed (reported):
/// nothing, or a literal followed by more (a missing comma), whose literal
/// is still the value.
fn value_of(
    key: &Ident,
    known: Option<&Key>,
    value: TokenStream,
    ctxt: &Ctxt,
) -> Option<TokenStream> {
    if let (true, Some(known)) = (value.is_empty(), known) {
        ctxt.error_spanned_by(key, format!("`{key} =` needs a value: {}", known.written()));
        return None;
    }
    let mut tokens = value.clone().into_iter();
    if let (Some(TokenTree::Literal(lit)), Some(next)) = (tokens.next(), tokens.next()) {
        // `task_type = "a" version = 1`
        ctxt.error_spanned_by(
            next,
            format!("expected `,` after the value of `{key}`: arguments are separated by commas"),
        );
        return Some(TokenTree::Literal(lit).into());
    }
    Some(value)
}

/// The contents of `tokens` when they are one parenthesized group.
fn parenthesized(tokens: &TokenStream) -> Option<TokenStream> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Parenthesis => {
            Some(group.stream())
        }
        _ => None,
    }
}

/// The tokens up to (not including) the next comma outside `<...>`, so that
/// `init = make::<u8, ()>` is one value. The `>` of `->` closes nothing.
fn skip_to_comma(input: ParseStream) -> syn::Result<TokenStream> {
    let mut tokens = TokenStream::new();
    let mut depth = 0_usize;
    let mut after_minus = false;
    while !input.is_empty() && (depth > 0 || !input.peek(Token![,])) {
        let token = input.parse::<TokenTree>()?;
        if let TokenTree::Punct(punct) = &token {
            match punct.as_char() {
                '<' => depth += 1,
                '>' if !after_minus => depth = depth.saturating_sub(1),
                _ => {}
            }
            after_minus = punct.as_char() == '-' && punct.spacing() == Spacing::Joint;
        } else {
            after_minus = false;
        }
        tokens.extend([token]);
    }
    Ok(tokens)
}
