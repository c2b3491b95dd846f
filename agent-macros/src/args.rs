//! The attribute's arguments:
//!
//! ```text
//! #[async_agent(task_type = "bigquery", version = 1, name = "BigQuery Agent",
//!               init = Self::new, idempotency = "off", register = false,
//!               crate = "agent_core")]
//! ```
//!
//! Only `task_type` is required. Every mistake is reported (unknown key with
//! the valid ones listed, duplicate, malformed or invalid value), not just
//! the first.

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::model::Kind;
use crate::similar;
use crate::text::{list, tokens_to_string};

const TASK_TYPE: &str = "task_type";
const VERSION: &str = "version";
const NAME: &str = "name";
const INIT: &str = "init";
const IDEMPOTENCY: &str = "idempotency";
const REGISTER: &str = "register";
const CRATE: &str = "crate";

/// Every key, in the order the unknown-key message lists them.
const KEYS: &[&str] = &[TASK_TYPE, VERSION, NAME, INIT, IDEMPOTENCY, REGISTER, CRATE];

/// The validated arguments.
pub(crate) struct Args {
    /// `task_type = "bigquery"`: non-empty, no surrounding spaces.
    pub(crate) task_type: LitStr,
    /// `version = 1`; 0 when absent.
    pub(crate) version: i32,
    /// `name = "BigQuery Agent"`; the type's name when absent.
    pub(crate) name: Option<LitStr>,
    /// `init = path::to::fn`: how the registry builds the agent instead of
    /// `Default`.
    pub(crate) init: Option<syn::Path>,
    /// `idempotency = "off"` makes this false.
    pub(crate) idempotent: bool,
    /// `register = false` makes this false: no registry entry.
    pub(crate) register: bool,
    /// `crate = "..."`: the path generated code reaches agent-core by.
    pub(crate) krate: syn::Path,
}

/// Parses the attribute's tokens, reporting every mistake into `ctxt`.
/// `None` when a required argument is missing; invalid optional values are
/// reported and replaced by their defaults so that later stages still run.
pub(crate) fn parse(kind: Kind, attr: TokenStream, ctxt: &Ctxt) -> Option<Args> {
    let mut raw = RawArgs::default();
    let parser = |input: ParseStream| parse_into(kind, input, ctxt, &mut raw);
    if let Err(error) = parser.parse2(attr) {
        ctxt.push(error);
    }
    let task_type = match raw.task_type.value {
        Some(task_type) => task_type,
        None if raw.task_type.seen || raw.task_type_reported => return None,
        None => {
            ctxt.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "missing `task_type`: write `#[{}(task_type = \"...\")]` with the task type \
                     that this agent's tasks declare (flytekit's `_TASK_TYPE`)",
                    kind.attribute()
                ),
            ));
            return None;
        }
    };
    Some(Args {
        task_type,
        version: raw.version.value.unwrap_or(0),
        name: raw.name.value,
        init: raw.init.value,
        idempotent: raw.idempotency.value.unwrap_or(true),
        register: raw.register.value.unwrap_or(true),
        krate: raw
            .krate
            .value
            .unwrap_or_else(|| syn::parse_quote!(::agent_core)),
    })
}

/// One argument as it is being collected: whether its key was seen (for
/// duplicate detection) and its value when valid.
struct Attr<T> {
    key: &'static str,
    seen: bool,
    value: Option<T>,
}

impl<T> Attr<T> {
    fn new(key: &'static str) -> Self {
        Attr {
            key,
            seen: false,
            value: None,
        }
    }

    /// Records `value` (`None` when it was invalid and already reported),
    /// or reports `key` as a duplicate.
    fn set(&mut self, ctxt: &Ctxt, key: &Ident, value: Option<T>) {
        if self.seen {
            ctxt.error_spanned_by(
                key,
                format!("duplicate argument `{}`: keep only one", self.key),
            );
            return;
        }
        self.seen = true;
        self.value = value;
    }
}

struct RawArgs {
    /// A mistake reported stood for `task_type` (a key that looked like it,
    /// or a lone `"bigquery"`), so `task_type` is not reported missing as
    /// well.
    task_type_reported: bool,
    task_type: Attr<LitStr>,
    version: Attr<i32>,
    name: Attr<LitStr>,
    init: Attr<syn::Path>,
    idempotency: Attr<bool>,
    register: Attr<bool>,
    krate: Attr<syn::Path>,
}

impl Default for RawArgs {
    fn default() -> Self {
        RawArgs {
            task_type_reported: false,
            task_type: Attr::new(TASK_TYPE),
            version: Attr::new(VERSION),
            name: Attr::new(NAME),
            init: Attr::new(INIT),
            idempotency: Attr::new(IDEMPOTENCY),
            register: Attr::new(REGISTER),
            krate: Attr::new(CRATE),
        }
    }
}

/// `key = value, key = value, ...`
fn parse_into(kind: Kind, input: ParseStream, ctxt: &Ctxt, raw: &mut RawArgs) -> syn::Result<()> {
    while !input.is_empty() {
        if let Some((key, tokens)) = parse_one(kind, input, ctxt, &mut raw.task_type_reported)? {
            // `None` for a malformed value, already reported: the key still
            // counts as given, for duplicates and for "missing `task_type`".
            let value = tokens.map(|tokens| Value { key: &key, tokens });
            let value = value.as_ref();
            match key.unraw().to_string().as_str() {
                TASK_TYPE => raw
                    .task_type
                    .set(ctxt, &key, value.and_then(|v| v.task_type(ctxt))),
                VERSION => raw
                    .version
                    .set(ctxt, &key, value.and_then(|v| v.version(ctxt))),
                NAME => raw.name.set(ctxt, &key, value.and_then(|v| v.name(ctxt))),
                INIT => raw.init.set(ctxt, &key, value.and_then(|v| v.init(ctxt))),
                IDEMPOTENCY => {
                    let value = value.and_then(|v| v.idempotency(ctxt));
                    raw.idempotency.set(ctxt, &key, value);
                }
                REGISTER => raw
                    .register
                    .set(ctxt, &key, value.and_then(|v| v.register(ctxt))),
                CRATE => raw.krate.set(ctxt, &key, value.and_then(|v| v.krate(ctxt))),
                unknown => {
                    raw.task_type_reported |= similar::is_near_miss(unknown, TASK_TYPE);
                    ctxt.error_spanned_by(&key, unknown_key_message(unknown));
                }
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// One `key = value`, with the value's tokens up to the next top-level
/// comma. A malformed argument is reported and answered with no value
/// (`None` overall when not even a key could be read; `task_type_reported`
/// is set when that was a lone `"bigquery"`).
fn parse_one(
    kind: Kind,
    input: ParseStream,
    ctxt: &Ctxt,
    task_type_reported: &mut bool,
) -> syn::Result<Option<(Ident, Option<TokenStream>)>> {
    let Ok(key) = input.call(Ident::parse_any) else {
        let culprit = skip_to_comma(input)?;
        if let Ok(lit) = syn::parse2::<LitStr>(culprit.clone()) {
            // `#[sync_agent("bigquery")]`
            *task_type_reported = true;
            ctxt.error_spanned_by(
                &lit,
                format!(
                    "expected `key = value` arguments: write `#[{}(task_type = {})]`",
                    kind.attribute(),
                    lit.token()
                ),
            );
            return Ok(None);
        }
        ctxt.error_spanned_by(
            culprit,
            format!(
                "expected `key = value` arguments, such as `#[{}(task_type = \"bigquery\")]`; \
                 valid keys are {}",
                kind.attribute(),
                list(KEYS)
            ),
        );
        return Ok(None);
    };
    let known = KEYS.contains(&key.unraw().to_string().as_str());
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value = skip_to_comma(input)?;
        if value.is_empty() && known {
            ctxt.error_spanned_by(&key, format!("`{key} =` needs a value: {}", example(&key)));
            return Ok(Some((key, None)));
        }
        let mut tokens = value.clone().into_iter();
        if let (Some(TokenTree::Literal(lit)), Some(next)) = (tokens.next(), tokens.next()) {
            // `task_type = "a" version = 1`: the literal is the value, and a
            // comma is missing after it.
            ctxt.error_spanned_by(
                next,
                format!(
                    "expected `,` after the value of `{key}`: arguments are separated by commas"
                ),
            );
            return Ok(Some((key, Some(TokenTree::Literal(lit).into()))));
        }
        return Ok(Some((key, Some(value))));
    }
    let rest = skip_to_comma(input)?;
    if !known {
        // Reported as unknown, whatever follows.
        return Ok(Some((key, Some(TokenStream::new()))));
    }
    let message = match parenthesized(&rest) {
        // `task_type("bigquery")`
        Some(inner) => format!(
            "malformed argument `{key}`: arguments are written `key = value`: write \
             `{key} = {}`",
            tokens_to_string(&inner)
        ),
        None => format!(
            "malformed argument `{key}`: arguments are written `key = value`, such as {}",
            example(&key)
        ),
    };
    let culprit = if rest.is_empty() {
        key.to_token_stream()
    } else {
        rest
    };
    ctxt.error_spanned_by(culprit, message);
    Ok(Some((key, None)))
}

/// The contents of `tokens` when they are one parenthesized group.
fn parenthesized(tokens: &TokenStream) -> Option<TokenStream> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Group(group)), None)
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
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

fn unknown_key_message(key: &str) -> String {
    let suggestion = similar::closest(key, KEYS)
        .map(|known| format!("did you mean `{known}`? "))
        .unwrap_or_default();
    format!(
        "unknown argument `{key}`: {suggestion}valid arguments are {}",
        list(KEYS)
    )
}

/// How `key` is written correctly.
fn example(key: &Ident) -> &'static str {
    match key.unraw().to_string().as_str() {
        TASK_TYPE => "`task_type = \"bigquery\"`",
        VERSION => "`version = 1`",
        NAME => "`name = \"BigQuery Agent\"`",
        INIT => "`init = Self::new` (a path to a `fn() -> Self`)",
        IDEMPOTENCY => "`idempotency = \"off\"` (or `\"on\"`, the default)",
        REGISTER => "`register = false`",
        CRATE => "`crate = \"agent_core\"`",
        _ => "`key = value`",
    }
}

/// A value's tokens, read as what its key takes.
struct Value<'a> {
    key: &'a Ident,
    tokens: TokenStream,
}

impl Value<'_> {
    fn error(&self, ctxt: &Ctxt, message: impl std::fmt::Display) {
        ctxt.error_spanned_by(&self.tokens, message);
    }

    fn lit(&self) -> Option<syn::Lit> {
        syn::parse2(self.tokens.clone()).ok()
    }

    /// The value when it is one identifier written without quotes
    /// (`task_type = bigquery`), to suggest it quoted.
    fn bare_word(&self) -> Option<String> {
        syn::parse2::<Ident>(self.tokens.clone())
            .ok()
            .map(|ident| ident.unraw().to_string())
    }

    fn task_type(&self, ctxt: &Ctxt) -> Option<LitStr> {
        let Some(syn::Lit::Str(lit)) = self.lit() else {
            let fix = match self.bare_word() {
                Some(word) => format!(": write `task_type = \"{word}\"`"),
                None => ", such as `task_type = \"bigquery\"`".to_string(),
            };
            self.error(ctxt, format!("`task_type` takes a string literal{fix}"));
            return None;
        };
        let value = lit.value();
        if value.trim().is_empty() {
            ctxt.error_spanned_by(
                &lit,
                "`task_type` is empty: write the task type that this agent's tasks declare, \
                 such as `task_type = \"bigquery\"`",
            );
            return None;
        }
        if value.trim() != value {
            ctxt.error_spanned_by(
                &lit,
                format!(
                    "`task_type` has spaces around it, so no task would match it: write \
                     `task_type = \"{}\"`",
                    value.trim()
                ),
            );
            return None;
        }
        Some(lit)
    }

    fn version(&self, ctxt: &Ctxt) -> Option<i32> {
        let hint = "`version` is the task type version, an integer from 0 up: write `version = 1`";
        match self.lit() {
            Some(syn::Lit::Int(lit)) => match lit.base10_parse::<i32>() {
                Ok(version) if version >= 0 => Some(version),
                Ok(_) => {
                    ctxt.error_spanned_by(&lit, format!("`version` cannot be negative: {hint}"));
                    None
                }
                Err(_) => {
                    ctxt.error_spanned_by(
                        &lit,
                        format!("`version` does not fit in an i32: {hint}"),
                    );
                    None
                }
            },
            Some(syn::Lit::Str(lit)) if lit.value().trim().parse::<i32>().is_ok() => {
                ctxt.error_spanned_by(
                    &lit,
                    format!(
                        "`version` is an integer, not a string: write `version = {}` without \
                         quotes",
                        lit.value().trim()
                    ),
                );
                None
            }
            _ if self.tokens.to_string().starts_with('-') => {
                self.error(ctxt, format!("`version` cannot be negative: {hint}"));
                None
            }
            _ => {
                self.error(
                    ctxt,
                    format!("`version` must be an integer literal: {hint}"),
                );
                None
            }
        }
    }

    fn name(&self, ctxt: &Ctxt) -> Option<LitStr> {
        match self.lit() {
            Some(syn::Lit::Str(lit)) if !lit.value().trim().is_empty() => Some(lit),
            Some(syn::Lit::Str(lit)) => {
                ctxt.error_spanned_by(
                    &lit,
                    "`name` is empty: give a display name, or leave `name` out to use the \
                     type's name",
                );
                None
            }
            _ => {
                let fix = match self.bare_word() {
                    Some(word) => format!(": write `name = \"{word}\"`"),
                    None => ", such as `name = \"BigQuery Agent\"`".to_string(),
                };
                self.error(ctxt, format!("`name` takes a string literal{fix}"));
                None
            }
        }
    }

    fn init(&self, ctxt: &Ctxt) -> Option<syn::Path> {
        self.path(
            ctxt,
            "`init` takes the path of a `fn() -> Self`: write `init = Self::new`",
        )
    }

    fn krate(&self, ctxt: &Ctxt) -> Option<syn::Path> {
        self.path(
            ctxt,
            "`crate` takes the path agent-core is reachable by: write `crate = \"agent_core\"`",
        )
    }

    /// A path, written bare (`Self::new`) or quoted (`"Self::new"`, as serde
    /// does).
    fn path(&self, ctxt: &Ctxt, hint: &str) -> Option<syn::Path> {
        let parsed = match self.lit() {
            Some(syn::Lit::Str(lit)) => lit.parse::<syn::Path>(),
            _ => syn::parse2::<syn::Path>(self.tokens.clone()),
        };
        if let Ok(path) = parsed {
            Some(path)
        } else {
            self.error(ctxt, hint);
            None
        }
    }

    fn idempotency(&self, ctxt: &Ctxt) -> Option<bool> {
        let word = match self.lit() {
            Some(syn::Lit::Str(lit)) => Some(lit.value()),
            _ => syn::parse2::<Ident>(self.tokens.clone())
                .ok()
                .map(|ident| ident.to_string()),
        };
        match word.as_deref() {
            Some("on") => Some(true),
            Some("off") => Some(false),
            _ => {
                self.error(
                    ctxt,
                    format!(
                        "`{}` is `\"on\"` (the default: a repeated create for one task attempt \
                         starts one job) or `\"off\"`: write `idempotency = \"off\"`",
                        self.key
                    ),
                );
                None
            }
        }
    }

    fn register(&self, ctxt: &Ctxt) -> Option<bool> {
        match self.lit() {
            Some(syn::Lit::Bool(lit)) => Some(lit.value),
            Some(syn::Lit::Str(lit)) if matches!(lit.value().as_str(), "true" | "false") => {
                ctxt.error_spanned_by(
                    &lit,
                    format!(
                        "`register` is a bool, not a string: write `register = {}` without quotes",
                        lit.value()
                    ),
                );
                None
            }
            _ => {
                self.error(
                    ctxt,
                    "`register` is `true` (the default) or `false`: write `register = false` to \
                     leave the agent out of `Registry::collected()` and register it by hand",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse_ok(attr: TokenStream) -> Args {
        let ctxt = Ctxt::new();
        let args = parse(Kind::Async, attr, &ctxt);
        if let Some(errors) = ctxt.into_compile_errors() {
            panic!("unexpected errors: {errors}");
        }
        args.expect("arguments")
    }

    /// The messages reported for `attr`.
    fn errors(attr: TokenStream) -> Vec<String> {
        let ctxt = Ctxt::new();
        parse(Kind::Async, attr, &ctxt);
        ctxt.into_errors()
            .into_iter()
            .map(|error| error.to_string())
            .collect()
    }

    #[test]
    fn only_task_type_is_required() {
        let args = parse_ok(quote!(task_type = "bigquery"));
        assert_eq!(args.task_type.value(), "bigquery");
        assert_eq!(args.version, 0);
        assert!(args.name.is_none());
        assert!(args.init.is_none());
        assert!(args.idempotent);
        assert!(args.register);
        assert_eq!(args.krate.to_token_stream().to_string(), ":: agent_core");
    }

    #[test]
    fn every_argument() {
        let args = parse_ok(quote!(
            task_type = "bigquery",
            version = 2,
            name = "BigQuery Agent",
            init = Self::new,
            idempotency = "off",
            register = false,
            crate = "my_core",
        ));
        assert_eq!(args.version, 2);
        assert_eq!(args.name.unwrap().value(), "BigQuery Agent");
        assert_eq!(
            args.init.unwrap().to_token_stream().to_string(),
            "Self :: new"
        );
        assert!(!args.idempotent);
        assert!(!args.register);
        assert_eq!(args.krate.to_token_stream().to_string(), "my_core");
    }

    #[test]
    fn paths_may_be_quoted_or_bare() {
        let args = parse_ok(quote!(
            task_type = "t",
            init = "make::agent",
            crate = ::renamed
        ));
        assert_eq!(
            args.init.unwrap().to_token_stream().to_string(),
            "make :: agent"
        );
        assert_eq!(args.krate.to_token_stream().to_string(), ":: renamed");
    }

    #[test]
    fn a_trailing_comma_is_fine() {
        parse_ok(quote!(task_type = "t",));
    }

    #[test]
    fn missing_task_type() {
        assert_eq!(
            errors(quote!()),
            [
                "missing `task_type`: write `#[async_agent(task_type = \"...\")]` with the task type \
              that this agent's tasks declare (flytekit's `_TASK_TYPE`)"
            ]
        );
        assert_eq!(errors(quote!(version = 1)).len(), 1);
    }

    #[test]
    fn empty_or_padded_task_type() {
        assert!(errors(quote!(task_type = ""))[0].starts_with("`task_type` is empty"));
        assert!(errors(quote!(task_type = "   "))[0].starts_with("`task_type` is empty"));
        assert!(errors(quote!(task_type = " bq"))[0].contains("`task_type = \"bq\"`"));
    }

    #[test]
    fn task_type_not_a_string() {
        assert_eq!(
            errors(quote!(task_type = bigquery)),
            ["`task_type` takes a string literal: write `task_type = \"bigquery\"`"]
        );
    }

    #[test]
    fn unknown_key_suggests_and_lists() {
        assert_eq!(
            errors(quote!(task_type = "t", verison = 1)),
            [
                "unknown argument `verison`: did you mean `version`? valid arguments are \
              `task_type`, `version`, `name`, `init`, `idempotency`, `register` and `crate`"
            ]
        );
        assert!(!errors(quote!(task_type = "t", color = 1))[0].contains("did you mean"));
    }

    #[test]
    fn duplicates_are_reported_once_per_repeat() {
        assert_eq!(
            errors(quote!(
                task_type = "a",
                task_type = "b",
                version = 1,
                version = 2
            )),
            [
                "duplicate argument `task_type`: keep only one",
                "duplicate argument `version`: keep only one"
            ]
        );
    }

    #[test]
    fn bad_versions() {
        assert!(errors(quote!(task_type = "t", version = "1"))[0].contains("not a string"));
        assert!(errors(quote!(task_type = "t", version = -1))[0].contains("cannot be negative"));
        assert!(errors(quote!(task_type = "t", version = 1.5))[0].contains("integer literal"));
        assert!(errors(quote!(task_type = "t", version = 99999999999))[0].contains("i32"));
    }

    #[test]
    fn malformed_arguments() {
        assert_eq!(
            errors(quote!(task_type("t"))),
            [
                "malformed argument `task_type`: arguments are written `key = value`: write \
              `task_type = \"t\"`"
            ]
        );
        assert!(errors(quote!(task_type = "t", register))[0].starts_with("malformed argument"));
        assert!(errors(quote!(task_type =))[0].starts_with("`task_type =` needs a value"));
        assert!(errors(quote!(42))[0].starts_with("expected `key = value` arguments"));
    }

    #[test]
    fn no_made_up_suggestions() {
        assert_eq!(
            errors(quote!(task_type = "a" version = 1)),
            ["expected `,` after the value of `task_type`: arguments are separated by commas"]
        );
        assert_eq!(
            errors(quote!(task_type = b"bq")),
            ["`task_type` takes a string literal, such as `task_type = \"bigquery\"`"]
        );
        assert!(errors(quote!(task_type = "t", name = concat!("a", "b")))[0].contains(", such as"));
    }

    #[test]
    fn a_lone_literal_is_the_task_type() {
        assert_eq!(
            errors(quote!("bigquery")),
            ["expected `key = value` arguments: write `#[async_agent(task_type = \"bigquery\")]`"]
        );
    }

    #[test]
    fn commas_inside_angle_brackets_do_not_split() {
        let args = parse_ok(quote!(task_type = "t", init = make::<u8, ()>));
        assert_eq!(
            crate::text::tokens_to_string(&args.init.unwrap()),
            "make::<u8, ()>"
        );
        let args = parse_ok(quote!(task_type = "t", init = make::<fn() -> u8, ()>));
        assert!(args.init.is_some());
    }

    #[test]
    fn bad_flags() {
        assert!(errors(quote!(task_type = "t", register = "false"))[0].contains("without quotes"));
        assert!(errors(quote!(task_type = "t", idempotency = "maybe"))[0].contains("\"off\""));
        assert!(!parse_ok(quote!(task_type = "t", idempotency = off)).idempotent);
    }

    #[test]
    fn every_mistake_is_reported() {
        assert_eq!(
            errors(quote!(task_type = "", version = "x", colour = 1, name = 3)).len(),
            4
        );
    }
}
