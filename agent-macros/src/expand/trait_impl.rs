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
//!     fn create(&self, task: TaskContext)
//!         -> impl Future<Output = Result<Self::Metadata, AgentError>> + Send
//!     {
//!         Self::create(self, task)
//!     }
//!     fn get(&self, metadata: QueryJob, _: Connection)
//!         -> impl Future<Output = Result<Resource, AgentError>> + Send
//!     {
//!         _agent_core::__private::run_blocking(move || Self::get(self, metadata))
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
//! - every call and every returned future is spanned at the user's return
//!   type, so a wrong one is "expected `Result<Resource, AgentError>`,
//!   found `Resource`" there, and "future cannot be sent between threads
//!   safely" too.
//!
//! A method is called only when the block has it (the trait's default
//! answers otherwise), so a missing method can never resolve to the trait
//! method and recurse. The metadata codec, when the block writes one, is
//! added by `codec`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

use super::codec;
use super::signature::{self, Params};
use crate::args::Args;
use crate::model::{Agent, Kind, Method, ParamRole};

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
    let methods = agent
        .methods
        .iter()
        .filter(|method| !method.role.is_codec())
        .map(|method| delegate(agent, method));
    let codec = codec::expand(agent);
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

            #codec
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
/// fn get(&self, metadata: QueryJob, _: _agent_core::Connection)
///     -> impl ::core::future::Future<
///         Output = ::core::result::Result<_agent_core::Resource, _agent_core::AgentError>,
///     > + ::core::marker::Send
/// {
///     Self::get(self, metadata)
/// }
/// ```
fn delegate(agent: &Agent, method: &Method) -> TokenStream {
    let trait_fn = format_ident!("{}", method.role.name());
    let user_fn = &method.ident;
    let Params {
        declared,
        passed,
        ignored,
        lifetimes,
    } = signature::params(method);

    // The user's future is the trait's: an `async fn` around it would hold
    // the arguments (a task is most of a kilobyte) once more.
    let call = quote!(Self::#user_fn(self, #(#passed),*));
    let body = if method.asyncness.is_some() {
        call
    } else {
        quote!(_agent_core::__private::run_blocking(move || #call))
    };
    let body = signature::at_return_type(body, method);

    // The future's type stands at the user's return type, so "expected
    // `Result<Resource, AgentError>`, found `Resource`" and "future is not
    // `Send`" land there.
    let result = signature::result_type(method.role.output());
    let returns = signature::at_return_type(
        quote!(impl ::core::future::Future<Output = #result> + ::core::marker::Send),
        method,
    );

    let doc = delegate_doc(agent, method, ignored);
    let cfg_attrs = &method.cfg_attrs;
    quote! {
        #[doc = #doc]
        #(#cfg_attrs)*
        fn #trait_fn #lifetimes(&self, #(#declared),*) -> #returns {
            #body
        }
    }
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
