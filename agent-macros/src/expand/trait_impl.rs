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
//! Output:
//!
//! ```text
//! impl ::agent_core::AsyncAgent for BigQueryAgent {
//!     type Metadata = QueryJob;
//!     fn task_category(&self) -> ::agent_core::TaskCategory { .. }
//!     fn name(&self) -> ::std::string::String { .. }
//!     fn create(&self, task: ::agent_core::TaskContext) -> impl Future<..> + Send {
//!         Self::create(self, task)
//!     }
//!     fn get(&self, metadata: Self::Metadata) -> impl Future<..> + Send {
//!         async move { ::agent_core::__private::run_blocking(|| Self::get(self, metadata)) }
//!     }
//!     ..
//! }
//! ```
//!
//! A method is called only when the block has it (the trait's default answers
//! otherwise), so a missing method can never resolve to the trait method and
//! recurse. A parameter or result whose type is not written as expected goes
//! through a `__private` trait spanned on the user's type, so a wrong type is
//! reported there in our words; one written as expected is passed as is.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::LitStr;
use syn::spanned::Spanned;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind, Method, Output, ParamRole, Returns};

pub(super) fn expand(args: &Args, agent: &Agent) -> TokenStream {
    let krate = &args.krate;
    let self_ty = &agent.self_ty;
    let task_type = &args.task_type;
    let version = Literal::i32_unsuffixed(args.version);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&agent.type_name, Span::call_site()));
    let (agent_trait, kind) = match agent.kind {
        Kind::Async => (quote!(#krate::AsyncAgent), "an async agent"),
        Kind::Sync => (quote!(#krate::SyncAgent), "a sync agent"),
    };
    let doc = format!(
        " `{}` serves task type `{}` (version {}) as {kind}.",
        agent.type_name,
        task_type.value(),
        args.version
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
            fn idempotent(&self) -> bool {
                false
            }
        }
    });
    let methods = agent
        .methods
        .iter()
        .map(|method| delegate(krate, agent, method));
    quote! {
        #[doc = #doc]
        #[automatically_derived]
        impl #agent_trait for #self_ty {
            #metadata

            #[doc = #category_doc]
            fn task_category(&self) -> #krate::TaskCategory {
                #krate::TaskCategory::new(#task_type, #version)
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
fn delegate(krate: &syn::Path, agent: &Agent, method: &Method) -> TokenStream {
    let role = method.role;
    let trait_fn = format_ident!("{}", role.name());
    let user_fn = &method.ident;
    // The future's code points at the user's `async` (or `fn`), so "future
    // is not `Send`" lands on their method.
    let span = located_at(
        method
            .asyncness
            .map_or(method.fn_token.span, |token| token.span),
    );
    let metadata = agent.metadata_ty();

    let mut params = Vec::new();
    let mut args = Vec::new();
    for (param_role, param) in role.params().iter().zip(&method.params) {
        let binding = format_ident!("{}", param_role.binding());
        let expected = match param_role {
            ParamRole::Task => quote!(#krate::TaskContext),
            ParamRole::Metadata => quote!(Self::Metadata),
            ParamRole::MetricsQuery => quote!(#krate::MetricsQuery),
            ParamRole::LogsQuery => quote!(#krate::LogsQuery),
        };
        let user_ty = &param.ty;
        let as_written = match param_role.type_name() {
            Some(name) => is_named(user_ty, name),
            None => metadata.is_some_and(|metadata| same_tokens(user_ty, metadata)),
        };
        let at = located_at(user_ty.span());
        args.push(match (as_written, param_role, metadata) {
            (true, ..) => quote!(#binding),
            (false, ParamRole::Metadata, Some(metadata)) => quote_spanned! {at=>
                <#user_ty as #krate::__private::MetadataParam<#metadata>>::from_metadata(#binding)
            },
            (false, ..) => quote_spanned! {at=>
                <#user_ty as #krate::__private::Param<#expected>>::from_expected(#binding)
            },
        });
        params.push(quote!(#binding: #expected));
    }

    let output = match role.output() {
        Output::Metadata => quote!(Self::Metadata),
        Output::Resource => quote!(#krate::Resource),
        Output::Unit => quote!(()),
        Output::Metrics => quote!(::std::vec::Vec<#krate::MetricResult>),
        Output::Logs => quote!(#krate::TaskLogs),
    };
    let call = quote_spanned!(span=> Self::#user_fn(self, #(#args),*));
    let returns = method.returns.as_ref();
    let check_result = |value: TokenStream| match returns {
        Some(returns) if !result_as_written(returns, role.output()) => {
            let user_ty = &returns.ty;
            let ok = match (role.output(), metadata) {
                (Output::Metadata, Some(metadata)) => quote!(#metadata),
                _ => output.clone(),
            };
            let at = located_at(user_ty.span());
            quote_spanned! {at=>
                <#user_ty as #krate::__private::Returns<#ok>>::into_result(#value)
            }
        }
        _ => value,
    };
    let (body, doc) = if method.asyncness.is_some() {
        let body = match returns {
            Some(returns) if !result_as_written(returns, role.output()) => {
                let result = check_result(quote_spanned!(span=> #call.await));
                quote_spanned!(span=> async move { #result })
            }
            _ => call,
        };
        (body, format!(" Calls `{}::{user_fn}`.", agent.type_name))
    } else {
        let result = check_result(call);
        let body = quote_spanned! {span=>
            async move { #krate::__private::run_blocking(|| #result) }
        };
        let doc = format!(
            " Runs `{}::{user_fn}`, a plain `fn`, without stalling the async runtime.",
            agent.type_name
        );
        (body, doc)
    };
    let future = quote_spanned! {span=>
        impl ::core::future::Future<
            Output = ::core::result::Result<#output, #krate::AgentError>,
        > + ::core::marker::Send
    };
    let cfg_attrs = &method.cfg_attrs;
    quote! {
        #[doc = #doc]
        #(#cfg_attrs)*
        fn #trait_fn(&self, #(#params),*) -> #future {
            #body
        }
    }
}

/// Whether `ty` is written as agent-core's type `name` (`TaskContext`,
/// `agent_core::TaskContext`...), so it can be passed without a check.
fn is_named(ty: &syn::Type, name: &str) -> bool {
    match (ty, name) {
        (syn::Type::Tuple(tuple), "()") => tuple.elems.is_empty(),
        (syn::Type::Path(path), _) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            match name.split_once('<') {
                // `Vec<MetricResult>`
                Some((outer, inner)) => {
                    let inner = inner.trim_end_matches('>');
                    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
                        return false;
                    };
                    last.ident == outer
                        && arguments.args.len() == 1
                        && matches!(
                            arguments.args.first(),
                            Some(syn::GenericArgument::Type(ty)) if is_named(ty, inner)
                        )
                }
                None => last.ident == name && last.arguments.is_none(),
            }
        }
        _ => false,
    }
}

/// Whether the two types are written alike.
fn same_tokens(a: &syn::Type, b: &syn::Type) -> bool {
    quote!(#a).to_string() == quote!(#b).to_string()
}

/// Whether `returns` is written `Result<T, AgentError>` with `T` as the
/// trait expects, so the user's future can be returned as is.
fn result_as_written(returns: &Returns, output: Output) -> bool {
    let (Some(ok), Some(err)) = (&returns.ok_ty, &returns.err_ty) else {
        return false;
    };
    let ok_as_written = match output.type_name() {
        Some(name) => is_named(ok, name),
        // The metadata type is defined by what `create` returns.
        None => true,
    };
    ok_as_written && is_named(err, "AgentError")
}
