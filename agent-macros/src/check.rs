//! Checks that need the whole model: the required methods are all there (or
//! misspelt, which is said so), each method has the shape its trait method
//! needs, and the arguments agree with each other. Every problem is reported;
//! nothing stops at the first.
//!
//! Types are left to the compiler, where the generated trait impl meets the
//! user's methods, each error spanned on the user's type (see
//! `expand::trait_impl`); only a result left out of its `Result`, which
//! rustc would answer with a suggestion that makes no sense in a signature,
//! is reported here.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::model::{Agent, Kind, Method, ParamRole, Receiver, Returns, Role};
use crate::similar;
use crate::text::{list, tokens_to_string};

/// Arguments that contradict each other.
pub(crate) fn args(args: &Args, ctxt: &Ctxt) {
    if let (Some(init), false) = (&args.init, args.register) {
        ctxt.error_spanned_by(
            init,
            "`init` builds the agent for its registry entry, which `register = false` leaves \
             out: remove `init`, or remove `register = false`",
        );
    }
}

/// Everything about the impl block's methods.
pub(crate) fn agent(agent: &Agent, ctxt: &Ctxt) {
    missing_methods(agent, ctxt);
    codec_halves(agent, ctxt);
    for method in &agent.methods {
        method_shape(agent, method, ctxt);
    }
}

/// Input: `impl A { fn encode_metadata(..) .. }` without `decode_metadata`
/// (or the reverse).
/// Output: an error at the one written, naming the one to add: the server
/// decodes with the trait's JSON codec what the user's encoder wrote
/// otherwise.
fn codec_halves(agent: &Agent, ctxt: &Ctxt) {
    let encode = agent.method(Role::EncodeMetadata);
    let decode = agent.method(Role::DecodeMetadata);
    let (written, missing) = match (encode, decode) {
        (Some(encode), None) => (encode, Role::DecodeMetadata),
        (None, Some(decode)) => (decode, Role::EncodeMetadata),
        _ => return,
    };
    let metadata = metadata_text(agent);
    let (why, missing_signature) = match missing {
        Role::DecodeMetadata => (
            "to read back what it writes",
            format!("fn decode_metadata(bytes: &[u8]) -> Result<{metadata}, AgentError>"),
        ),
        _ => (
            "to write what it reads",
            format!("fn encode_metadata(metadata: &{metadata}) -> Result<Vec<u8>, AgentError>"),
        ),
    };
    ctxt.error_spanned_by(
        &written.ident,
        format!(
            "`{}` needs `{}` beside it, {why} (without either, the metadata is JSON): add \
             `{missing_signature}`",
            written.ident,
            missing.name(),
        ),
    );
}

/// Input: `impl A { async fn creat(..) .. async fn get(..) .. }`
/// Output: "`creat` ... did you mean `create`?" on `creat`, and "`A` is
/// missing `delete`" on `A`: one error for all methods missing outright.
///
/// A near miss of an optional method counts only when it has that method's
/// parameters and a `Result`: `fn get_metric(&self, name: &str) -> f64` is a
/// helper.
fn missing_methods(agent: &Agent, ctxt: &Ctxt) {
    let mut missing = Vec::new();
    for &role in agent.kind.roles() {
        if agent.method(role).is_some() {
            continue;
        }
        let near_miss = agent.helpers.iter().find(|helper| {
            let name = helper.ident.unraw().to_string();
            let named_like = role.aliases().contains(&name.as_str())
                || role
                    .accepted_names()
                    .iter()
                    .any(|accepted| similar::is_near_miss(&name, accepted));
            named_like
                && (role.is_required()
                    || (helper.param_count == role.params().len() && helper.returns_result))
        });
        match near_miss {
            Some(helper) => {
                ctxt.error_spanned_by(&helper.ident, near_miss_message(agent, role, &helper.ident));
            }
            None if role.is_required() => missing.push(role.name()),
            None => {}
        }
    }
    if missing.is_empty() {
        return;
    }
    let them = if missing.len() == 1 { "it" } else { "them" };
    let mut message = format!(
        "`{}` is missing {}: add {them} (all agent methods go in the annotated block; {})",
        agent.type_name,
        list(&missing),
        required_set(agent.kind)
    );
    if let Some(hint) = other_kind_hint(agent) {
        message.push_str(&hint);
    }
    ctxt.error_spanned_by(&agent.self_ty, message);
}

fn near_miss_message(agent: &Agent, role: Role, helper: &syn::Ident) -> String {
    let wanted = role.name();
    let status = if role.is_required() {
        required_set(agent.kind).to_string()
    } else {
        format!(
            "`{wanted}` is an optional method of an async agent; as it is, `{helper}` is a \
             helper that nothing calls"
        )
    };
    format!("`{helper}` is not an agent method: did you mean `{wanted}`? ({status})")
}

fn required_set(kind: Kind) -> &'static str {
    match kind {
        Kind::Async => {
            "an async agent needs `create`, `get` and `delete`, and may have `get_metrics`, \
             `get_logs`, and `encode_metadata` with `decode_metadata`"
        }
        Kind::Sync => "a sync agent needs `execute`, or `r#do` as Flyte calls it",
    }
}

/// "`create` belongs to an async agent: use `#[async_agent]`", when the
/// block has the other kind's methods.
fn other_kind_hint(agent: &Agent) -> Option<String> {
    let other = agent.kind.other();
    let found: Vec<String> = agent
        .helpers
        .iter()
        .map(|helper| helper.ident.unraw().to_string())
        .filter(|name| other.role_named(name).is_some())
        .collect();
    if found.is_empty() {
        return None;
    }
    let verb = if found.len() == 1 {
        "belongs"
    } else {
        "belong"
    };
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    Some(format!(
        "; the block has {}, which {verb} to {}: did you mean `#[{}]`?",
        list(&found),
        other.article(),
        other.attribute()
    ))
}

/// Receiver, parameter count, return type, qualifiers and generics of one
/// method.
fn method_shape(agent: &Agent, method: &Method, ctxt: &Ctxt) {
    let name = &method.ident;
    let signature = signature(agent, method);
    if let Some(qualifiers) = &method.qualifiers {
        ctxt.error_spanned_by(
            qualifiers,
            format!(
                "`{name}` cannot be `{}`: remove it, as in {signature}",
                qualifiers.to_string().trim()
            ),
        );
    }
    if let Some(generics) = &method.generics {
        generic_method(method, generics, &signature, ctxt);
    }
    if method.role.is_codec() {
        codec_shape(method, &signature, ctxt);
    } else {
        receiver(method, &signature, ctxt);
    }
    param_count(agent, method, &signature, ctxt);
    if impl_trait(agent, method, &signature, ctxt) {
        return;
    }
    match (&method.returns, method.role) {
        (None, _) => ctxt.push(syn::Error::new(
            method.paren_span,
            format!(
                "`{name}` returns nothing: return `Result<{}, AgentError>`, as in {signature}",
                output_text(agent, method)
            ),
        )),
        (Some(returns), Role::Create) => create_returns(returns, ctxt),
        (Some(returns), _) => result_left_out(agent, method, returns, &signature, ctxt),
    }
}

/// Input: `encode_metadata` or `decode_metadata` with a receiver, or
/// `async`.
/// Output: an error at the receiver or `async`: the trait's codec functions
/// take no agent and run in line.
fn codec_shape(method: &Method, signature: &str, ctxt: &Ctxt) {
    let name = &method.ident;
    let receiver = match &method.receiver {
        Receiver::Missing => None,
        Receiver::Shared(span) | Receiver::Mutable(span) | Receiver::ByValue(span) => Some(*span),
        Receiver::Typed(ty) => Some(ty.span()),
    };
    if let Some(span) = receiver {
        ctxt.push(syn::Error::new(
            span,
            format!(
                "`{name}` takes no `self`: the server calls it as `Self::{name}(..)`, without an \
                 agent at hand, so remove the receiver, as in {signature}"
            ),
        ));
    }
    if let Some(asyncness) = &method.asyncness {
        ctxt.error_spanned_by(
            asyncness,
            format!(
                "`{name}` cannot be `async`: the server encodes and decodes metadata in line, so \
                 write a plain `fn`, as in {signature}"
            ),
        );
    }
}

/// Input: an agent method (not the codec) and how it takes `self`.
/// Output: an error at the receiver unless it is `&self`.
fn receiver(method: &Method, signature: &str, ctxt: &Ctxt) {
    let name = &method.ident;
    match &method.receiver {
        Receiver::Shared(_) => {}
        Receiver::Mutable(span) => ctxt.push(syn::Error::new(
            *span,
            format!(
                "`{name}` takes `&mut self`, but one agent serves concurrent requests: take \
                 `&self`, and keep mutable state behind a `Mutex` or an atomic"
            ),
        )),
        Receiver::ByValue(span) => ctxt.push(syn::Error::new(
            *span,
            format!(
                "`{name}` takes `self` by value, but one agent serves every request: take \
                 `&self`, as in {signature}"
            ),
        )),
        Receiver::Typed(ty) => {
            ctxt.error_spanned_by(ty, format!("`{name}` must take `&self`, as in {signature}"));
        }
        Receiver::Missing => ctxt.push(syn::Error::new(
            method.paren_span,
            format!("`{name}` has no `self` parameter: take `&self` first, as in {signature}"),
        )),
    }
}

/// Input: `fn get(&self, job: Job) -> Resource` (or `-> ()` for `delete`).
/// Output: an error at the return type, which must be the `Result` the
/// trait answers, not its `Ok` type alone.
fn result_left_out(
    agent: &Agent,
    method: &Method,
    returns: &Returns,
    signature: &str,
    ctxt: &Ctxt,
) {
    let output = output_text(agent, method);
    let expected_head = output.split('<').next().unwrap_or_default();
    let written_head = match &returns.ty {
        syn::Type::Tuple(tuple) if tuple.elems.is_empty() => "()".to_string(),
        syn::Type::Path(path) => match path.path.segments.last() {
            Some(last) => last.ident.unraw().to_string(),
            None => return,
        },
        _ => return,
    };
    if written_head != expected_head {
        return;
    }
    ctxt.error_spanned_by(
        &returns.ty,
        format!(
            "`{}` must return `Result<{output}, AgentError>`, not `{}` alone: write \
             `-> Result<{output}, AgentError>` and answer `Ok(..)`, as in {signature}",
            method.ident,
            tokens_to_string(&returns.ty),
        ),
    );
}

/// Input: `fn get(&self, job: Job, connection: Connection, verbose: bool)`
/// or `fn delete(&self)`.
/// Output: an error at the extra parameters, listing the accepted shapes, or
/// at the parameter list, naming what is missing.
fn param_count(agent: &Agent, method: &Method, signature: &str, ctxt: &Ctxt) {
    let name = &method.ident;
    let after_self = if method.role.is_codec() {
        ""
    } else {
        " after `&self`"
    };
    let required = method.role.params().len();
    let most = method.role.all_params().count();
    let found = method.params.len();
    if found > most {
        let extra: TokenStream = method.params[most..]
            .iter()
            .map(ToTokens::to_token_stream)
            .collect();
        let message = match method.role.optional_param() {
            Some(optional) => format!(
                "`{name}` takes {}{after_self}, or {} with the optional `{}: {}`, found \
                 {found}: remove the extra {}; write {} or {}",
                count(required),
                number(most),
                optional.binding(),
                optional.type_name().unwrap_or_default(),
                one_or_more(found - most),
                signature_with(agent, method, false),
                signature_with(agent, method, true),
            ),
            None => format!(
                "`{name}` takes {}{after_self}, found {found}: remove the extra {}, as in \
                 {signature}",
                count(required),
                one_or_more(found - required)
            ),
        };
        ctxt.error_spanned_by(extra, message);
    } else if found < required {
        ctxt.push(syn::Error::new(
            method.paren_span,
            format!(
                "`{name}` takes {}{after_self}, found {found}: add the missing {}, as in \
                 {signature}",
                count(required),
                one_or_more(required - found)
            ),
        ));
    }
}

/// Input: `fn execute(&self, task: impl Into<TaskContext>)` or
/// `fn execute(..) -> impl Future<..>`.
/// Output: an error at the `impl Trait` type, which the trait impl could not
/// name; `true` when the return type is one, so that nothing else is said
/// about it.
fn impl_trait(agent: &Agent, method: &Method, signature: &str, ctxt: &Ctxt) -> bool {
    let name = &method.ident;
    for (param, role) in method.params.iter().zip(method.role.all_params()) {
        if contains_impl_trait(&param.ty) {
            let ty = role.type_name().map_or_else(
                || format!("the metadata type, `{}`", metadata_text(agent)),
                |ty| format!("`{ty}`"),
            );
            ctxt.error_spanned_by(
                &param.ty,
                format!(
                    "`{name}` cannot take `impl Trait`, since the agent trait passes it one \
                     type: take {ty}, as in {signature}"
                ),
            );
        }
    }
    if let Some(returns) = &method.returns
        && contains_impl_trait(&returns.ty)
    {
        let message = if matches!(returns.ty, syn::Type::ImplTrait(_)) {
            format!(
                "`{name}` cannot return `impl Trait`: write an `async fn` that returns the \
                     result itself, as in {}",
                signature.replacen("`fn", "`async fn", 1)
            )
        } else {
            format!(
                "`{name}` cannot return `impl Trait`, since the agent trait names its \
                     result: write the type, as in {signature}"
            )
        };
        ctxt.error_spanned_by(&returns.ty, message);
        return true;
    }
    false
}

/// Input: `fn create<T>(..)`, `fn create<'a, T>(..)`, `fn create(..) where ..`.
/// Output: an error at the generics naming what to remove; lifetime
/// parameters may stay.
fn generic_method(method: &Method, generics: &syn::Generics, signature: &str, ctxt: &Ctxt) {
    let name = &method.ident;
    let mut remove: Vec<String> = generics
        .params
        .iter()
        .filter_map(|param| match param {
            syn::GenericParam::Type(param) => Some(format!("`{}`", param.ident)),
            syn::GenericParam::Const(param) => Some(format!("`const {}`", param.ident)),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    if generics.where_clause.is_some() {
        remove.push("the `where` clause".to_string());
    }
    let culprit = if generics.params.is_empty() {
        generics.where_clause.to_token_stream()
    } else {
        generics.to_token_stream()
    };
    ctxt.error_spanned_by(
        culprit,
        format!(
            "`{name}` cannot be generic, since the agent trait calls it with fixed types: \
             remove {}, as in {signature}",
            remove.join(" and ")
        ),
    );
}

/// Input: `create`'s return type.
/// Output: an error unless it is written `Result<M, AgentError>` (or an alias
/// ending in `Result`, such as `AgentResult<M>`) with an owned `M`.
fn create_returns(returns: &Returns, ctxt: &Ctxt) {
    let Some(metadata) = &returns.ok_ty else {
        let written = tokens_to_string(&returns.ty);
        let message = match first_type_argument(&returns.ty) {
            // `Res<u32>`, an alias of `Result<u32, AgentError>`.
            Some(ok) => format!(
                "`create` must return `Result<Metadata, AgentError>` written out, since the \
                 macro reads the metadata type from it as written and `{written}` does not show \
                 it: if `{written}` is an alias, spell it out, as in \
                 `-> Result<{}, AgentError>`",
                tokens_to_string(ok)
            ),
            None => format!(
                "`create` must return `Result<Metadata, AgentError>`, where `Metadata` is any \
                 serde type that identifies the started job: write `-> Result<{written}, \
                 AgentError>`"
            ),
        };
        ctxt.error_spanned_by(&returns.ty, message);
        return;
    };
    if borrows(metadata) {
        ctxt.error_spanned_by(
            metadata,
            format!(
                "the metadata type `{}` borrows, but it must be an owned type \
                 (`DeserializeOwned`), such as `String`: it is sent to Propeller and read back \
                 in a later request",
                tokens_to_string(metadata)
            ),
        );
    }
}

/// The first type argument of a path type: `u32` in `Res<u32>`.
fn first_type_argument(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments
    else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Whether `ty` borrows: it has a reference, a lifetime, or a `Cow` (whose
/// lifetime is often elided).
fn borrows(ty: &syn::Type) -> bool {
    fn find(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Punct(punct) => matches!(punct.as_char(), '&' | '\''),
            TokenTree::Ident(ident) => ident == "Cow",
            TokenTree::Group(group) => find(group.stream()),
            TokenTree::Literal(_) => false,
        })
    }
    find(ty.to_token_stream())
}

/// Whether `impl Trait` appears anywhere in `ty`.
fn contains_impl_trait(ty: &syn::Type) -> bool {
    fn find(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => ident == "impl",
            TokenTree::Group(group) => find(group.stream()),
            _ => false,
        })
    }
    find(ty.to_token_stream())
}

/// The `Ok` type `method` answers: `Resource`, or the metadata type.
fn output_text(agent: &Agent, method: &Method) -> String {
    match method.role.output().type_name() {
        Some(name) => name.to_string(),
        None => metadata_text(agent),
    }
}

/// The metadata type as written, or `Metadata` when `create` does not say.
fn metadata_text(agent: &Agent) -> String {
    agent
        .metadata_ty()
        .map_or_else(|| "Metadata".to_string(), tokens_to_string)
}

/// "one", "ones".
fn one_or_more(n: usize) -> &'static str {
    if n == 1 { "one" } else { "ones" }
}

/// "one parameter", "two parameters".
fn count(n: usize) -> String {
    match n {
        1 => "one parameter".to_string(),
        n => format!("{} parameters", number(n)),
    }
}

/// "one", "two", "3".
fn number(n: usize) -> String {
    match n {
        1 => "one".to_string(),
        2 => "two".to_string(),
        n => n.to_string(),
    }
}

/// The signature `method` should have, with the agent's metadata type:
/// "`async fn get(&self, metadata: QueryJob) -> Result<Resource, AgentError>`",
/// with the optional parameter when the method takes more than the
/// required ones.
fn signature(agent: &Agent, method: &Method) -> String {
    let with_optional = method.params.len() > method.role.params().len();
    signature_with(agent, method, with_optional)
}

/// The signature `method` should have, with or without its optional
/// parameter.
fn signature_with(agent: &Agent, method: &Method, with_optional: bool) -> String {
    let metadata = metadata_text(agent);
    let optional = method.role.optional_param().filter(|_| with_optional);
    let params: Vec<String> = method
        .role
        .params()
        .iter()
        .copied()
        .chain(optional)
        .map(|param| {
            let ty = match param {
                ParamRole::MetadataRef => format!("&{metadata}"),
                _ => param.type_name().unwrap_or(&metadata).to_string(),
            };
            format!("{}: {ty}", param.binding())
        })
        .collect();
    let output = method.role.output().type_name().unwrap_or(&metadata);
    let (asyncness, receiver) = if method.role.is_codec() {
        ("", "")
    } else if method.asyncness.is_some() {
        ("async ", "&self, ")
    } else {
        ("", "&self, ")
    };
    format!(
        "`{asyncness}fn {}({receiver}{}) -> Result<{output}, AgentError>`",
        method.ident,
        params.join(", ")
    )
}
