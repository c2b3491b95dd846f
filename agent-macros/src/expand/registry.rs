//! The registry entry that `Registry::collected()` finds at start-up.
//!
//! Input: `#[async_agent(task_type = "bigquery", init = Self::new)] impl BigQueryAgent { .. }`
//!
//! Output:
//!
//! ```text
//! const _: () = {
//!     fn construct() -> ::agent_core::__private::RegisteredAgent {
//!         let agent: BigQueryAgent = <BigQueryAgent>::new();
//!         ::agent_core::__private::RegisteredAgent::from_async(agent)
//!     }
//!     ::agent_core::__private::inventory::submit! {
//!         ::agent_core::__private::AgentRegistration::new(construct)
//!     }
//! };
//! ```
//!
//! Without `init` the agent is built by `Default`, through a `__private`
//! trait whose message says what to do when there is none. With
//! `register = false` there is no entry. The constructor is named
//! `construct`, or `construct_agent` when `init = construct` would otherwise
//! name it instead of the user's function.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::located_at;
use crate::args::Args;
use crate::model::{Agent, Kind};

pub(super) fn expand(args: &Args, agent: &Agent) -> Option<TokenStream> {
    if !args.register {
        return None;
    }
    let krate = &args.krate;
    let self_ty = &agent.self_ty;
    let (construct, built_with) = match &args.init {
        Some(init) => {
            let built_with = format!("`{}`", path_text(&quote!(#init)));
            let init = self_to_type(init, self_ty);
            let at = located_at(init.span());
            (quote_spanned!(at=> #init()), built_with)
        }
        None => {
            let at = located_at(self_ty.span());
            let construct = quote_spanned! {at=>
                <#self_ty as #krate::__private::DefaultAgent>::default_agent()
            };
            (construct, "`Default`".to_string())
        }
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
    let takes_our_name = args
        .init
        .as_ref()
        .is_some_and(|init| init.is_ident("construct"));
    let name = if takes_our_name {
        "construct_agent"
    } else {
        "construct"
    };
    let constructor = Ident::new(name, Span::call_site());
    let constructor_doc = format!(" Builds `{}` with {built_with}.", agent.type_name);
    Some(quote! {
        #[doc = #doc]
        const _: () = {
            #[doc = #constructor_doc]
            fn #constructor() -> #krate::__private::RegisteredAgent {
                let agent: #self_ty = #construct;
                #wrap(agent)
            }

            #krate::__private::inventory::submit! {
                #krate::__private::AgentRegistration::new(#constructor)
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
            let self_ty = quote_spanned!(located_at(first.ident.span())=> <#self_ty>);
            let rest = segments.map(|segment| quote!(::#segment));
            quote!(#self_ty #(#rest)*)
        }
        _ => quote!(#init),
    }
}

fn path_text(path: &TokenStream) -> String {
    path.to_string().replace(' ', "")
}
