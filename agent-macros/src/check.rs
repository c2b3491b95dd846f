//! Checks that need the whole model: the required methods are all there (or
//! misspelt, which is said so), each method has the shape its trait method
//! needs, and the arguments agree with each other. Every problem is reported;
//! nothing stops at the first.
//!
//! Types are left to the compiler: the generated trait impl passes each
//! parameter and result through a trait with a message of ours, spanned on
//! the user's type (see `expand::trait_impl`).

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::args::{Args, list};
use crate::ctxt::Ctxt;
use crate::model::{Agent, Kind, Method, Receiver, Role};
use crate::similar;

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
    for method in &agent.methods {
        method_shape(agent, method, ctxt);
    }
}

/// Input: `impl A { async fn creat(..) .. async fn get(..) .. }`
/// Output: "`creat` ... did you mean `create`?" on `creat`, and "`A` is
/// missing `delete`" on `A`: one error for all methods missing outright.
fn missing_methods(agent: &Agent, ctxt: &Ctxt) {
    let mut missing = Vec::new();
    for &role in agent.kind.roles() {
        if agent.method(role).is_some() {
            continue;
        }
        let near_miss = agent.helpers.iter().find(|helper| {
            let name = helper.to_string();
            role.aliases().contains(&name.as_str())
                || role
                    .accepted_names()
                    .iter()
                    .any(|accepted| similar::is_near_miss(&name, accepted))
        });
        match near_miss {
            Some(helper) => ctxt.error_spanned_by(helper, near_miss_message(agent, role, helper)),
            None if role.is_required() => missing.push(role.name()),
            None => {}
        }
    }
    if missing.is_empty() {
        return;
    }
    let them = if missing.len() == 1 { "it" } else { "them" };
    let mut message = format!(
        "`{}` is missing {}: add {them} ({})",
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
    let name = helper.to_string();
    let wanted = match role {
        Role::Execute => "`execute`".to_string(),
        _ => format!("`{}`", role.name()),
    };
    let status = if role.is_required() {
        required_set(agent.kind)
    } else {
        format!(
            "`{}` is an optional method of an async agent; as it is, `{name}` is a helper that \
             nothing calls",
            role.name()
        )
    };
    format!("`{name}` is not an agent method: did you mean {wanted}? ({status})")
}

fn agent_article(kind: Kind) -> &'static str {
    match kind {
        Kind::Async => "an async agent",
        Kind::Sync => "a sync agent",
    }
}

fn required_set(kind: Kind) -> String {
    match kind {
        Kind::Async => "an async agent needs `create`, `get` and `delete`, and may have \
                        `get_metrics` and `get_logs`"
            .to_string(),
        Kind::Sync => "a sync agent needs `execute`, or `r#do` as Flyte calls it".to_string(),
    }
}

/// "`create` belongs to an async agent: use `#[async_agent]`", when the
/// block has the other kind's methods.
fn other_kind_hint(agent: &Agent) -> Option<String> {
    let other = agent.kind.other();
    let found: Vec<String> = agent
        .helpers
        .iter()
        .map(ToString::to_string)
        .filter(|name| {
            other
                .roles()
                .iter()
                .any(|role| role.accepted_names().contains(&name.as_str()))
        })
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
        agent_article(other),
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
        ctxt.error_spanned_by(
            generics,
            format!(
                "`{name}` cannot be generic, since the agent trait calls it with fixed types: \
                 remove `{}`, as in {signature}",
                tokens_to_string(generics)
            ),
        );
    }
    match &method.receiver {
        Receiver::Shared => {}
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
            ctxt.error_spanned_by(ty, format!("`{name}` must take `&self`, as in {signature}"))
        }
        Receiver::Missing => ctxt.push(syn::Error::new(
            method.paren_span,
            format!("`{name}` has no `self` parameter: take `&self` first, as in {signature}"),
        )),
    }
    let expected = method.role.params().len();
    let found = method.params.len();
    if found > expected {
        let extra: TokenStream = method.params[expected..]
            .iter()
            .map(|param| param.arg.to_token_stream())
            .collect();
        ctxt.error_spanned_by(
            extra,
            format!(
                "`{name}` takes {} after `&self`, found {found}: remove the extra {}, as in \
                 {signature}",
                count(expected),
                one_or_more(found - expected)
            ),
        );
    } else if found < expected {
        ctxt.push(syn::Error::new(
            method.paren_span,
            format!(
                "`{name}` takes {} after `&self`, found {found}: add the missing {}, as in \
                 {signature}",
                count(expected),
                one_or_more(expected - found)
            ),
        ));
    }
    match (&method.returns, method.role) {
        (None, _) => ctxt.push(syn::Error::new(
            method.paren_span,
            format!(
                "`{name}` returns nothing: return `Result<{}, AgentError>`, as in {signature}",
                output_text(agent, method)
            ),
        )),
        (Some(returns), Role::Create) if returns.ok_ty.is_none() => ctxt.error_spanned_by(
            &returns.ty,
            format!(
                "`create` must return `Result<Metadata, AgentError>`, where `Metadata` is any \
                 serde type that identifies the started job: write `-> Result<{}, AgentError>`",
                type_to_string(&returns.ty)
            ),
        ),
        _ => {}
    }
}

/// The `Ok` type `method` answers: `Resource`, or the metadata type.
fn output_text(agent: &Agent, method: &Method) -> String {
    match method.role.output().type_name() {
        Some(name) => name.to_string(),
        None => agent
            .metadata_ty()
            .map_or_else(|| "Metadata".to_string(), type_to_string),
    }
}

/// "one", "ones".
fn one_or_more(n: usize) -> &'static str {
    if n == 1 { "one" } else { "ones" }
}

/// "one parameter", "2 parameters".
fn count(n: usize) -> String {
    match n {
        1 => "one parameter".to_string(),
        n => format!("{n} parameters"),
    }
}

/// The signature `method` should have, with the agent's metadata type:
/// "`async fn get(&self, metadata: QueryJob) -> Result<Resource, AgentError>`".
fn signature(agent: &Agent, method: &Method) -> String {
    let metadata = agent
        .metadata_ty()
        .map_or_else(|| "Metadata".to_string(), type_to_string);
    let params: Vec<String> = method
        .role
        .params()
        .iter()
        .map(|param| {
            let ty = param.type_name().unwrap_or(&metadata);
            format!("{}: {ty}", param.binding())
        })
        .collect();
    let output = method.role.output().type_name().unwrap_or(&metadata);
    let asyncness = if method.asyncness.is_some() {
        "async "
    } else {
        ""
    };
    format!(
        "`{asyncness}fn {}(&self, {}) -> Result<{output}, AgentError>`",
        method.ident,
        params.join(", ")
    )
}

/// A type as a person writes it: `Vec<u8>`, not `Vec < u8 >`.
pub(crate) fn type_to_string(ty: &syn::Type) -> String {
    tokens_to_string(ty)
}

/// Tokens as a person writes them, without the spaces `to_string` puts
/// around punctuation.
fn tokens_to_string(tokens: &impl ToTokens) -> String {
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

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn types_print_as_written() {
        for (ty, text) in [
            (quote!(Vec<u8>), "Vec<u8>"),
            (
                quote!(std::collections::HashMap<String, Vec<u8>>),
                "std::collections::HashMap<String, Vec<u8>>",
            ),
            (quote!(&'static str), "&'static str"),
            (quote!((u8, String)), "(u8, String)"),
            (quote!(()), "()"),
        ] {
            let ty: syn::Type = syn::parse2(ty).unwrap();
            assert_eq!(type_to_string(&ty), text);
        }
    }
}
