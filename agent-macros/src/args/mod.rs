//! The attribute's arguments:
//!
//! ```text
//! #[async_agent(task_type = "bigquery", version = 1, name = "BigQuery Agent",
//!               init = Self::new, idempotency = "off", register = false,
//!               crate = "agent_core")]
//! ```
//!
//! [`KEYS`] is the table of keys: each entry names a key, says how it is
//! written, whether it is required, and how its value is read into [`Args`].
//! A new key is a new entry (and the field it is stored in). Every mistake
//! is reported (unknown key with the valid ones listed, duplicate, malformed
//! or invalid value, missing required key), not just the first.

mod entry;
mod value;

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, LitStr, Token};

use self::entry::Entry;
use self::value::Value;
use crate::ctxt::Ctxt;
use crate::model::Kind;
use crate::similar;
use crate::text::list;

/// The key a lone string literal stands for: `#[sync_agent("bigquery")]`
/// is `task_type = "bigquery"` with its key left out.
const LONE_LITERAL_KEY: &str = "task_type";

/// Every key, in the order the unknown-key message lists them.
const KEYS: &[Key] = &[
    Key::required(
        "task_type",
        "task_type = \"bigquery\"",
        missing_task_type,
        |value, args| {
            value
                .task_type()
                .map(|task_type| args.task_type = task_type)
        },
    ),
    Key::optional("version", "version = 1", |value, args| {
        value.version().map(|version| args.version = version)
    }),
    Key::optional("name", "name = \"BigQuery Agent\"", |value, args| {
        value.name().map(|name| args.name = Some(name))
    }),
    Key::optional("init", "init = Self::new", |value, args| {
        let hint = "`init` takes the path of a `fn() -> Self`: write `init = Self::new`";
        value.path(hint).map(|init| args.init = Some(init))
    })
    .with_note(" (a path to a `fn() -> Self`)"),
    Key::optional("idempotency", "idempotency = \"off\"", |value, args| {
        value.idempotency().map(|on| args.idempotent = on)
    })
    .with_note(" (or `\"on\"`, the default)"),
    Key::optional("register", "register = false", |value, args| {
        value.register().map(|register| args.register = register)
    }),
    Key::optional("crate", "crate = \"agent_core\"", |value, args| {
        let hint =
            "`crate` takes the path agent-core is reachable by: write `crate = \"agent_core\"`";
        value.path(hint).map(|krate| args.krate = krate)
    }),
];

/// What to write when `task_type` is missing.
fn missing_task_type(kind: Kind) -> String {
    format!(
        "write `#[{}(task_type = \"...\")]` with the task type that this agent's tasks declare \
         (flytekit's `_TASK_TYPE`)",
        kind.attribute()
    )
}

/// How a key's value is read into [`Args`]: the value stored, or an error
/// at the value when it is invalid.
type Read = fn(&Value, &mut Args) -> syn::Result<()>;

/// One key of the table.
struct Key {
    name: &'static str,
    /// How it is written, without backticks: `version = 1`.
    example: &'static str,
    /// What messages add after the example, or "".
    note: &'static str,
    /// For a required key, what to write when it is missing.
    required: Option<fn(Kind) -> String>,
    read: Read,
}

impl Key {
    /// A key that may be left out: its field keeps its default.
    const fn optional(name: &'static str, example: &'static str, read: Read) -> Self {
        Key {
            name,
            example,
            note: "",
            required: None,
            read,
        }
    }

    /// A key the attribute must have.
    const fn required(
        name: &'static str,
        example: &'static str,
        missing: fn(Kind) -> String,
        read: Read,
    ) -> Self {
        Key {
            required: Some(missing),
            ..Key::optional(name, example, read)
        }
    }

    /// The key with `note` after its example in messages.
    const fn with_note(self, note: &'static str) -> Self {
        Key { note, ..self }
    }

    /// How it is written, for messages: "`init = Self::new` (a path to a
    /// `fn() -> Self`)".
    fn written(&self) -> String {
        format!("`{}`{}", self.example, self.note)
    }
}

/// The key named `name` (written without `r#`).
fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|key| key.name == name)
}

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
    /// `crate = "..."`: the path generated code reaches agent-core by;
    /// `::agent_core` when absent.
    pub(crate) krate: syn::Path,
}

impl Args {
    /// Every key at its default; the required `task_type` empty until read
    /// (`parse` answers no `Args` without it).
    fn defaults() -> Self {
        Args {
            task_type: LitStr::new("", Span::call_site()),
            version: 0,
            name: None,
            init: None,
            idempotent: true,
            register: true,
            krate: syn::parse_quote!(::agent_core),
        }
    }
}

/// Parses the attribute's tokens, reporting every mistake into `ctxt`.
/// `None` when a required argument is missing or invalid; invalid optional
/// values are reported and left at their defaults so that later stages
/// still run.
pub(crate) fn parse(kind: Kind, attr: TokenStream, ctxt: &Ctxt) -> Option<Args> {
    let mut reading = Reading {
        args: Args::defaults(),
        given: Vec::new(),
        read: Vec::new(),
        excused: Vec::new(),
    };
    let parser = |input: ParseStream| reading.entries(kind, input, ctxt);
    if let Err(error) = parser.parse2(attr) {
        ctxt.push(error);
    }
    let mut complete = true;
    for key in KEYS {
        let Some(missing) = key.required else {
            continue;
        };
        if reading.read.contains(&key.name) {
            continue;
        }
        complete = false;
        if !reading.given.contains(&key.name) && !reading.excused.contains(&key.name) {
            ctxt.push(syn::Error::new(
                Span::call_site(),
                format!("missing `{}`: {}", key.name, missing(kind)),
            ));
        }
    }
    complete.then_some(reading.args)
}

/// The arguments as they are being read.
struct Reading {
    args: Args,
    /// The keys written so far, valid or not: a second one is a duplicate.
    given: Vec<&'static str>,
    /// The keys whose value was valid and stored.
    read: Vec<&'static str>,
    /// Required keys that a reported mistake stood for (`task_typ = ..`, a
    /// lone `"bigquery"`), so they are not reported missing as well.
    excused: Vec<&'static str>,
}

impl Reading {
    /// `key = value, key = value, ...`
    fn entries(&mut self, kind: Kind, input: ParseStream, ctxt: &Ctxt) -> syn::Result<()> {
        while !input.is_empty() {
            match entry::parse(kind, input, ctxt)? {
                Entry::Argument { key, value } => self.argument(&key, value, ctxt),
                Entry::LoneLiteral => self.excused.push(LONE_LITERAL_KEY),
                Entry::Other => {}
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    }

    /// Looks `key` up in the table and reads its value (`None` when it was
    /// malformed and already reported: the key still counts as given).
    fn argument(&mut self, key: &Ident, value: Option<TokenStream>, ctxt: &Ctxt) {
        let name = key.unraw().to_string();
        let Some(known) = self::key(&name) else {
            let required = KEYS.iter().filter(|key| key.required.is_some());
            self.excused.extend(
                required
                    .map(|key| key.name)
                    .filter(|required| similar::is_near_miss(&name, required)),
            );
            ctxt.error_spanned_by(key, unknown_key_message(&name));
            return;
        };
        if self.given.contains(&known.name) {
            ctxt.error_spanned_by(
                key,
                format!("duplicate argument `{}`: keep only one", known.name),
            );
            return;
        }
        self.given.push(known.name);
        let Some(value) = value else {
            return;
        };
        match (known.read)(&Value::new(value), &mut self.args) {
            Ok(()) => self.read.push(known.name),
            Err(error) => ctxt.push(error),
        }
    }
}

/// "unknown argument `verison`: did you mean `version`? valid arguments are ..."
fn unknown_key_message(key: &str) -> String {
    let names: Vec<&str> = KEYS.iter().map(|key| key.name).collect();
    let suggestion = similar::closest(key, &names)
        .map(|known| format!("did you mean `{known}`? "))
        .unwrap_or_default();
    format!(
        "unknown argument `{key}`: {suggestion}valid arguments are {}",
        list(&names)
    )
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

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
