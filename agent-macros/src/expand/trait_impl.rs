//! The agent trait impl.
//!
//! Input:
//!
//! ```text
//! #[async_agent(task_type = "bigquery")]
//! impl BigQueryAgent {
//!     async fn create(&self, task: TaskContext) -> Result<QueryJob, AgentError> { .. }
//!     fn get(&self, job: QueryJob) -> Result<Resource, AgentError> { .. }
//!     ..
//! }
//! ```
//!
//! Output, inside the `const _` block where `_agent_core` is agent-core:
//!
//! ```text
//! #[automatically_derived]
//! impl _agent_core::AsyncAgent for BigQueryAgent {
//!     type Metadata = QueryJob;
//!     fn task_category(&self) -> _agent_core::TaskCategory { .. }
//!     fn name(&self) -> ::std::string::String { .. }
//!     async fn create(&self, task: TaskContext) -> Result<Self::Metadata, AgentError> {
//!         Self::create(self, task).await
//!     }
//!     async fn get(&self, metadata: QueryJob, _: Connection) -> Result<Resource, AgentError> {
//!         _agent_core::__private::run_blocking(|| Self::get(self, metadata)).await
//!     }
//!     ..
//! }
//! ```
//!
//! Types are checked where the trait impl meets the user's methods, so each
//! mistake is one error, at the user's token:
//!
//! - every parameter is declared with the user's type, so a wrong one is
//!   "expected `TaskContext`, found `String`" at that type;
//! - every call is spanned at the user's return type, so a wrong one is
//!   "expected `Result<Resource, AgentError>`, found `Resource`" there;
//! - every return type is spanned at the user's `async` (or `fn`), so
//!   "future cannot be sent between threads safely" lands on their method.
//!
//! A method is called only when the block has it (the trait's default
//! answers otherwise), so a missing method can never resolve to the trait
//! method and recurse.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::LitStr;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind, Method, Output, ParamRole};

pub(super) fn expand(args: &Args, agent: &Agent) -> TokenStream {
    let self_ty = &agent.self_ty;
    let task_type = &args.task_type;
    let version = Literal::i32_unsuffixed(args.version);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&agent.type_name, Span::call_site()));
    let agent_trait = match agent.kind {
        Kind::Async => quote!(_agent_core::AsyncAgent),
        Kind::Sync => quote!(_agent_core::SyncAgent),
    };
    let doc = format!(
        " `{}` serves task type `{}` (version {}) as {}.",
        agent.type_name,
        task_type.value(),
        args.version,
        agent.kind.article()
    );
    let category_doc = format!(
        " Task type `{}`, version {}.",
        task_type.value(),
        args.version
    );
    let metadata = agent.metadata_ty().map(|metadata| {
        quote! {
            /// What `create` returns, sent to Propeller as JSON and handed back to the
            /// other methods.
            type Metadata = #metadata;
        }
    });
    let idempotent = (!args.idempotent).then(|| {
        quote! {
            /// Off (`idempotency = "off"`): every `CreateTask` call runs `create`.
            fn idempotent(&self) -> ::core::primitive::bool {
                false
            }
        }
    });
    let methods = agent.methods.iter().map(|method| delegate(agent, method));
    quote! {
        #[doc = #doc]
        #[automatically_derived]
        impl #agent_trait for #self_ty {
            #metadata

            #[doc = #category_doc]
            fn task_category(&self) -> _agent_core::TaskCategory {
                _agent_core::TaskCategory::new(#task_type, #version)
            }

            /// The name shown by `ListAgents`.
            fn name(&self) -> ::std::string::String {
                ::std::string::ToString::to_string(#name)
            }

            #idempotent

            #(#methods)*
        }
    }
}

/// One trait method, calling the user's method of the same role.
///
/// Input: `async fn get(&self, job: QueryJob) -> Result<Resource, AgentError>`
///
/// Output:
///
/// ```text
/// /// Calls `BigQueryAgent::get`, which takes no `Connection`.
/// async fn get(&self, metadata: QueryJob, _: _agent_core::Connection)
///     -> ::core::result::Result<_agent_core::Resource, _agent_core::AgentError>
/// {
///     Self::get(self, metadata).await
/// }
/// ```
fn delegate(agent: &Agent, method: &Method) -> TokenStream {
    let role = method.role;
    let trait_fn = format_ident!("{}", role.name());
    let user_fn = &method.ident;

    let mut params = Vec::new();
    let mut args = Vec::new();
    let mut ignored = None;
    for (index, param_role) in role.all_params().enumerate() {
        let Some(param) = method.params.get(index) else {
            // An optional parameter the user's method does not take.
            let ty = param_type(param_role);
            params.push(quote!(_: #ty));
            ignored = Some(param_role);
            continue;
        };
        // Hygienic, so that a user's `struct metadata;` cannot turn the
        // parameter into a pattern.
        let binding = Ident::new(param_role.binding(), Span::mixed_site());
        let user_ty = &param.ty;
        params.push(quote!(#binding: #user_ty));
        args.push(binding);
    }

    let call = quote!(Self::#user_fn(self, #(#args),*));
    let body = if method.asyncness.is_some() {
        quote!(#call.await)
    } else {
        quote!(_agent_core::__private::run_blocking(|| #call).await)
    };
    // Underlined as the user's return type, where a mismatched result is
    // reported; `-> ()` left out is reported by `check` and never expanded.
    let body = match &method.returns {
        Some(returns) => spanning(body, &returns.ty),
        None => body,
    };

    // The future's type points at the user's `async` (or `fn`), so "future
    // is not `Send`" lands on their method.
    let future_at = located_at(
        method
            .asyncness
            .map_or(method.fn_token.span, |token| token.span),
    );
    let output = output_type(role.output());
    let returns =
        quote_spanned!(future_at=> ::core::result::Result<#output, _agent_core::AgentError>);

    let doc = delegate_doc(agent, method, ignored);
    let cfg_attrs = &method.cfg_attrs;
    quote! {
        #[doc = #doc]
        #(#cfg_attrs)*
        async fn #trait_fn(&self, #(#params),*) -> #returns {
            #body
        }
    }
}

/// `tokens` relocated onto the user's `ty`, each keeping how it resolves:
/// the first at the type's first token, the others at its last, so that
/// rustc underlines the expression they make as the whole type.
fn spanning(tokens: TokenStream, ty: &syn::Type) -> TokenStream {
    let mut ty_tokens = ty.to_token_stream().into_iter();
    let first = ty_tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = ty_tokens.last().map_or(first, |token| token.span());
    tokens
        .into_iter()
        .enumerate()
        .map(|(index, mut token)| {
            let at = if index == 0 { first } else { last };
            token.set_span(token.span().located_at(at));
            token
        })
        .collect()
}

/// What the generated method's doc says it does: "Calls `A::get`, which
/// takes no `Connection`."
fn delegate_doc(agent: &Agent, method: &Method, ignored: Option<ParamRole>) -> String {
    let target = format!("`{}::{}`", agent.type_name, method.ident);
    let takes_no =
        ignored.map(|param| format!("takes no `{}`", param.type_name().unwrap_or_default()));
    match (method.asyncness.is_some(), takes_no) {
        (true, None) => format!(" Calls {target}."),
        (true, Some(takes_no)) => format!(" Calls {target}, which {takes_no}."),
        (false, None) => {
            format!(" Runs {target}, a plain `fn`, without stalling the async runtime.")
        }
        (false, Some(takes_no)) => format!(
            " Runs {target}, a plain `fn` that {takes_no}, without stalling the async runtime."
        ),
    }
}

/// The type the trait gives a parameter.
fn param_type(role: ParamRole) -> TokenStream {
    match role {
        ParamRole::Task => quote!(_agent_core::TaskContext),
        ParamRole::Metadata => quote!(Self::Metadata),
        ParamRole::MetricsQuery => quote!(_agent_core::MetricsQuery),
        ParamRole::LogsQuery => quote!(_agent_core::LogsQuery),
        ParamRole::Connection => quote!(_agent_core::Connection),
    }
}

/// The `Ok` type the trait gives a method's result.
fn output_type(output: Output) -> TokenStream {
    match output {
        Output::Metadata => quote!(Self::Metadata),
        Output::Resource => quote!(_agent_core::Resource),
        Output::Unit => quote!(()),
        Output::Metrics => quote!(::std::vec::Vec<_agent_core::MetricResult>),
        Output::Logs => quote!(_agent_core::TaskLogs),
    }
}
