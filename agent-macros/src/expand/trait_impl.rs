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
//!         async move {
//!             <Result<QueryJob, AgentError> as Returns<QueryJob>>::into_result(
//!                 Self::create(self, <TaskContext as Param<TaskContext>>::from_expected(task))
//!                     .await,
//!             )
//!         }
//!     }
//!     fn get(&self, metadata: Self::Metadata) -> impl Future<..> + Send {
//!         async move { ::agent_core::__private::run_blocking(|| <..>::into_result(Self::get(..))) }
//!     }
//!     ..
//! }
//! ```
//!
//! A method is called only when the block has it (the trait's default answers
//! otherwise), so a missing method can never resolve to the trait method and
//! recurse. Every parameter and result goes through an identity trait of
//! `__private` spanned on the user's type, so a wrong type (`String` for
//! `TaskContext`, or another crate's `Resource`) is reported there in our
//! words.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::LitStr;
use syn::spanned::Spanned;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind, Method, Output, ParamRole};

pub(super) fn expand(args: &Args, agent: &Agent) -> TokenStream {
    let krate = &args.krate;
    let self_ty = &agent.self_ty;
    let task_type = &args.task_type;
    let version = Literal::i32_unsuffixed(args.version);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&agent.type_name, Span::call_site()));
    let agent_trait = match agent.kind {
        Kind::Async => quote!(#krate::AsyncAgent),
        Kind::Sync => quote!(#krate::SyncAgent),
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
///
/// Input: `async fn get(&self, job: QueryJob) -> Result<Resource, AgentError>`
/// Output (each conversion spanned on the user's type, so a wrong type is
/// reported there, in the words of the `__private` trait):
///
/// ```text
/// fn get(&self, metadata: Self::Metadata) -> impl Future<..> + Send {
///     async move {
///         <Result<Resource, AgentError> as Returns<Resource>>::into_result(
///             Self::get(self, <QueryJob as MetadataParam<QueryJob>>::from_metadata(metadata)).await,
///         )
///     }
/// }
/// ```
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
    for (index, param_role) in role.all_params().enumerate() {
        let expected = match param_role {
            ParamRole::Task => quote!(#krate::TaskContext),
            ParamRole::Metadata => quote!(Self::Metadata),
            ParamRole::MetricsQuery => quote!(#krate::MetricsQuery),
            ParamRole::LogsQuery => quote!(#krate::LogsQuery),
            ParamRole::Connection => quote!(#krate::Connection),
        };
        let Some(param) = method.params.get(index) else {
            // An optional parameter the user's method does not take.
            params.push(quote!(_: #expected));
            continue;
        };
        // Hygienic, so that a user's `struct metadata;` cannot turn the
        // parameter into a pattern.
        let binding = Ident::new(param_role.binding(), Span::mixed_site());
        let user_ty = &param.ty;
        let at = located_at(user_ty.span());
        args.push(if let (ParamRole::Metadata, Some(metadata)) = (param_role, metadata) {
            quote_spanned! {at=>
                <#user_ty as #krate::__private::MetadataParam<#metadata>>::from_metadata(#binding)
            }
        } else {
            quote_spanned! {at=>
                <#user_ty as #krate::__private::Param<#expected>>::from_expected(#binding)
            }
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
    let call = if method.asyncness.is_some() {
        quote_spanned!(span=> #call.await)
    } else {
        call
    };
    let result = match &method.returns {
        Some(returns) => {
            let user_ty = &returns.ty;
            let ok = match (role.output(), metadata) {
                (Output::Metadata, Some(metadata)) => quote!(#metadata),
                _ => output.clone(),
            };
            let at = located_at(user_ty.span());
            quote_spanned! {at=>
                <#user_ty as #krate::__private::Returns<#ok>>::into_result(#call)
            }
        }
        // Reported by `check`; never expanded.
        None => call,
    };
    let (body, doc) = if method.asyncness.is_some() {
        let body = quote_spanned!(span=> async move { #result });
        (body, format!(" Calls `{}::{user_fn}`.", agent.type_name))
    } else {
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
