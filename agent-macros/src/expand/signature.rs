//! The signature of a generated trait method, made from the user's method:
//! its parameters (the user's types, under hygienic names), the lifetime
//! parameters those types name, and its result type; and the spans that put
//! a type error on the user's token.
//!
//! Input: `fn encode_metadata<'a>(job: &'a Job) -> Result<Vec<u8>, AgentError>`
//! Output: `<'a>`, `metadata: &'a Job` (passed on as `metadata`), and
//! `::core::result::Result<::std::vec::Vec<u8>, _agent_core::AgentError>`.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::model::{Method, Output, ParamRole};

/// The parameters of a generated method.
pub(super) struct Params {
    /// As declared: `metadata: Job, _: _agent_core::Connection`. Each has
    /// the user's type, so a wrong one is reported at that type by rustc,
    /// as "expected `TaskContext`, found `String`".
    pub(super) declared: Vec<TokenStream>,
    /// The names the call passes on to the user's method: `metadata`.
    pub(super) passed: Vec<Ident>,
    /// The optional parameter the user's method does not take, which the
    /// generated one takes and drops.
    pub(super) ignored: Option<ParamRole>,
    /// `<'a>`: the user's lifetime parameters that the types name, or
    /// nothing.
    pub(super) lifetimes: TokenStream,
}

pub(super) fn params(method: &Method) -> Params {
    let mut params = Params {
        declared: Vec::new(),
        passed: Vec::new(),
        ignored: None,
        lifetimes: TokenStream::new(),
    };
    for (index, role) in method.role.all_params().enumerate() {
        let Some(param) = method.params.get(index) else {
            let ty = trait_type(role);
            params.declared.push(quote!(_: #ty));
            params.ignored = Some(role);
            continue;
        };
        // Hygienic, so that a user's `struct metadata;` cannot turn the
        // parameter into a pattern.
        let binding = Ident::new(role.binding(), Span::mixed_site());
        let ty = &param.ty;
        params.declared.push(quote!(#binding: #ty));
        params.passed.push(binding);
    }
    let named: Vec<&syn::Lifetime> = method
        .lifetimes
        .iter()
        .filter(|lifetime| {
            method
                .params
                .iter()
                .any(|param| names_lifetime(param.ty.to_token_stream(), lifetime))
        })
        .collect();
    if !named.is_empty() {
        params.lifetimes = quote!(<#(#named),*>);
    }
    params
}

/// Whether `tokens` name `lifetime`.
fn names_lifetime(tokens: TokenStream, lifetime: &syn::Lifetime) -> bool {
    let mut after_quote = false;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) if after_quote && ident == lifetime.ident => return true,
            TokenTree::Group(group) if names_lifetime(group.stream(), lifetime) => return true,
            TokenTree::Punct(punct) => {
                after_quote = punct.as_char() == '\'';
                continue;
            }
            _ => {}
        }
        after_quote = false;
    }
    false
}

/// The type the trait gives a parameter.
fn trait_type(role: ParamRole) -> TokenStream {
    match role {
        ParamRole::Task => quote!(_agent_core::TaskContext),
        ParamRole::Metadata => quote!(Self::Metadata),
        ParamRole::MetadataRef => quote!(&Self::Metadata),
        ParamRole::MetricsQuery => quote!(_agent_core::MetricsQuery),
        ParamRole::LogsQuery => quote!(_agent_core::LogsQuery),
        ParamRole::Connection => quote!(_agent_core::Connection),
        ParamRole::Bytes => quote!(&[::core::primitive::u8]),
    }
}

/// The result type the trait gives a method:
/// `::core::result::Result<_agent_core::Resource, _agent_core::AgentError>`.
pub(super) fn result_type(output: Output) -> TokenStream {
    let ok = match output {
        Output::Metadata => quote!(Self::Metadata),
        Output::Resource => quote!(_agent_core::Resource),
        Output::Unit => quote!(()),
        Output::Metrics => quote!(::std::vec::Vec<_agent_core::MetricResult>),
        Output::Logs => quote!(_agent_core::TaskLogs),
        Output::Bytes => quote!(::std::vec::Vec<::core::primitive::u8>),
    };
    quote!(::core::result::Result<#ok, _agent_core::AgentError>)
}

/// `call`, the generated call of the user's method, relocated onto the
/// user's return type (each token keeping how it resolves): the first token
/// at the type's first token, the others at its last, so that rustc
/// underlines the whole type when the call's result does not match the
/// trait's. `-> ()` left out is reported by `check` and never expanded.
pub(super) fn at_return_type(call: TokenStream, method: &Method) -> TokenStream {
    let Some(returns) = &method.returns else {
        return call;
    };
    let mut ty_tokens = returns.ty.to_token_stream().into_iter();
    let first = ty_tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = ty_tokens.last().map_or(first, |token| token.span());
    call.into_iter()
        .enumerate()
        .map(|(index, mut token)| {
            let at = if index == 0 { first } else { last };
            token.set_span(token.span().located_at(at));
            token
        })
        .collect()
}
