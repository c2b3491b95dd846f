//! The registry entry that `Registry::collected()` finds at start-up.
//!
//! Input: `#[async_agent(task_type = "bigquery", init = Self::new)] impl BigQueryAgent { .. }`
//!
//! Output:
//!
//! ```text
//! const _: () = {
//!     /// Builds `BigQueryAgent` with `Self::new`.
//!     const CONSTRUCT: fn() -> ::agent_core::__private::RegisteredAgent = || {
//!         let init: fn() -> BigQueryAgent = <BigQueryAgent>::new;
//!         ::agent_core::__private::RegisteredAgent::from_async(init())
//!     };
//!     ::agent_core::__private::inventory::submit! {
//!         ::agent_core::__private::AgentRegistration::new(CONSTRUCT)
//!     }
//! };
//! ```
//!
//! Without `init` the agent is built by `Default`, through a `__private`
//! trait whose message says what to do when there is none. With
//! `register = false` there is no entry. The constructor is a closure held
//! by a constant, not a function: a function of ours named like a common
//! one (`construct`, `new`) could shadow the user's function that `init`
//! names (items do not get `Span::mixed_site()` hygiene); the constant is
//! in the upper case no function is written in.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind};
use crate::text::tokens_to_string;

pub(super) fn expand(args: &Args, agent: &Agent) -> Option<TokenStream> {
    if !args.register {
        return None;
    }
    let krate = &args.krate;
    let self_ty = &agent.self_ty;
    let (prepare, build, built_with) = if let Some(init) = &args.init {
        // `let init: fn() -> ChatAgent = Self::from_env;`: a wrong
        // constructor is "expected fn pointer `fn() -> ChatAgent`" on
        // the user's whole path.
        let init_var = Ident::new("init", Span::mixed_site());
        let at = located_at(init.span());
        let init_fn = quote_spanned!(at=> fn() -> #self_ty);
        let init_path = self_to_type(init, self_ty);
        let prepare = quote!(let #init_var: #init_fn = #init_path;);
        (
            prepare,
            quote!(#init_var()),
            format!("`{}`", tokens_to_string(init)),
        )
    } else {
        let at = located_at(self_ty.span());
        let build = quote_spanned! {at=>
            <#self_ty as #krate::__private::DefaultAgent>::default_agent()
        };
        (TokenStream::new(), build, "`Default`".to_string())
    };
    let wrap = match agent.kind {
        Kind::Async => quote!(#krate::__private::RegisteredAgent::from_async),
        Kind::Sync => quote!(#krate::__private::RegisteredAgent::from_sync),
    };
    let doc = format!(
        " Registers `{}` for task type `{}` (version {}), built with {built_with}.",
        agent.type_name,
        args.task_type.value(),
        args.version
    );
    let construct_doc = format!(" Builds `{}` with {built_with}.", agent.type_name);
    Some(quote! {
        #[doc = #doc]
        const _: () = {
            #[doc = #construct_doc]
            const CONSTRUCT: fn() -> #krate::__private::RegisteredAgent = || {
                #prepare
                #wrap(#build)
            };
            #krate::__private::inventory::submit! {
                #krate::__private::AgentRegistration::new(CONSTRUCT)
            }
        };
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
