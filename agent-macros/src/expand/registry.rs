//! The registry entry that `Registry::collected()` finds at start-up.
//!
//! Input: `#[async_agent(task_type = "bigquery", init = Self::new)] impl BigQueryAgent { .. }`
//!
//! Output, inside the `const _` block where `_agent_core` is agent-core:
//!
//! ```text
//! /// Builds `BigQueryAgent` with `Self::new`.
//! const CONSTRUCT: fn() -> _agent_core::__private::RegisteredAgent = || {
//!     let init: fn() -> BigQueryAgent = <BigQueryAgent>::new;
//!     _agent_core::__private::RegisteredAgent::from_async(init())
//! };
//! _agent_core::__private::inventory::submit! {
//!     _agent_core::__private::AgentRegistration::new(CONSTRUCT)
//! }
//! ```
//!
//! Without `init` the agent is built by `Default`, through
//! `agent_core::registry::DefaultAgent`, whose message says what to do when
//! there is none. With `register = false`
//! there is no entry. The constructor is a closure held by a constant, not a
//! function: a function of ours named like a common one (`construct`,
//! `new`) could shadow the user's function that `init` names (items do not
//! get `Span::mixed_site()` hygiene); the constant is in the upper case no
//! function is written in.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind};
use crate::text::tokens_to_string;

/// How the entry builds the agent, for docs: "`Default`" or "`Self::new`";
/// `None` when there is no entry.
pub(super) fn built_with(args: &Args) -> Option<String> {
    if !args.register {
        return None;
    }
    Some(match &args.init {
        Some(init) => format!("`{}`", tokens_to_string(init)),
        None => "`Default`".to_string(),
    })
}

pub(super) fn expand(args: &Args, agent: &Agent) -> Option<TokenStream> {
    if !args.register {
        return None;
    }
    let self_ty = &agent.self_ty;
    let (prepare, build) = if let Some(init) = &args.init {
        // `let init: fn() -> ChatAgent = Self::from_env;`: a wrong
        // constructor is "expected fn pointer `fn() -> ChatAgent`" on
        // the user's whole path.
        let init_var = Ident::new("init", Span::mixed_site());
        let at = located_at(init.span());
        let init_fn = quote_spanned!(at=> fn() -> #self_ty);
        let init_path = self_to_type(init, self_ty);
        (
            quote!(let #init_var: #init_fn = #init_path;),
            quote!(#init_var()),
        )
    } else {
        let at = located_at(self_ty.span());
        let build = quote_spanned! {at=>
            <#self_ty as _agent_core::registry::DefaultAgent>::default_agent()
        };
        (TokenStream::new(), build)
    };
    let wrap = match agent.kind {
        Kind::Async => quote!(_agent_core::__private::RegisteredAgent::from_async),
        Kind::Sync => quote!(_agent_core::__private::RegisteredAgent::from_sync),
    };
    let doc = format!(
        " Builds `{}` with {}.",
        agent.type_name,
        built_with(args).unwrap_or_default()
    );
    Some(quote! {
        #[doc = #doc]
        const CONSTRUCT: fn() -> _agent_core::__private::RegisteredAgent = || {
            #prepare
            #wrap(#build)
        };
        _agent_core::__private::inventory::submit! {
            _agent_core::__private::AgentRegistration::new(CONSTRUCT)
        }
    })
}

/// `Self::new` becomes `<BigQueryAgent>::new`: the entry is outside the impl
/// block, where `Self` means nothing.
fn self_to_type(init: &syn::Path, self_ty: &syn::Type) -> TokenStream {
    let mut segments = init.segments.iter();
    match segments.next() {
        Some(first) if init.leading_colon.is_none() && first.ident == "Self" => {
            // The user's span (not `located_at`), so that rustc can join it
            // with the rest of the path and underline all of `Self::new`.
            let self_ty = quote_spanned!(first.ident.span()=> <#self_ty>);
            let rest = segments.map(|segment| quote!(::#segment));
            quote!(#self_ty #(#rest)*)
        }
        _ => quote!(#init),
    }
}
