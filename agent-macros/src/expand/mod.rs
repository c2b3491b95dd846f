//! The pipeline, and code generation: one file per artefact.
//!
//! Input: the attribute's tokens and the annotated impl block.
//! Output: the impl block (`item`), then one `const _` block holding the
//! agent trait impl (`trait_impl`) and the registry entry (`registry`); or,
//! when anything is wrong, the impl block unchanged and every error found.
//!
//! ```text
//! impl BigQueryAgent { .. }
//! /// `BigQueryAgent` as an async agent, and its registry entry, built with `Default`.
//! #[doc(hidden)]
//! const _: () = {
//!     use ::agent_core as _agent_core;
//!     impl _agent_core::AsyncAgent for BigQueryAgent { .. }
//!     _agent_core::__private::inventory::submit! { .. }
//! };
//! ```
//!
//! Generated code reaches agent-core only through the `_agent_core` alias
//! (`crate = "..."` changes what it stands for), and std through `::core`
//! and `::std`, so it compiles whatever the user's module imports.

mod codec;
mod item;
mod registry;
mod signature;
mod trait_impl;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::model::{Agent, Kind};
use crate::{args, check, parse};

/// `#[async_agent(...)]` on `item`.
pub(crate) fn expand_async_agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Async, attr, item)
}

/// `#[sync_agent(...)]` on `item`.
pub(crate) fn expand_sync_agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Sync, attr, item)
}

fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let ctxt = Ctxt::new();
    let item = parse::escape_keyword_do(item);
    let args = args::parse(kind, attr, &ctxt);
    if let Some(args) = &args {
        check::args(args, &ctxt);
    }
    let agent = parse::agent(kind, item.clone(), &ctxt);
    if let Some(agent) = &agent {
        check::agent(agent, &ctxt);
    }
    if let Some(errors) = ctxt.into_compile_errors() {
        // The item stays, so the rest of the crate (and the IDE) still sees
        // the type's methods and no follow-on errors appear.
        return quote!(#item #errors);
    }
    let (Some(args), Some(agent)) = (args, agent) else {
        // The item is not Rust, which rustc has reported when it parsed it
        // for the attribute: the item alone, so that it reports no more.
        return item;
    };
    let item = item::expand(&agent);
    let generated = generated(&args, &agent);
    quote! {
        #item
        #generated
    }
}

/// Input: the checked arguments and block.
/// Output: the trait impl and the registry entry in one `const _` block,
/// where the `_agent_core` alias they are written with is declared.
fn generated(args: &Args, agent: &Agent) -> TokenStream {
    let krate = &args.krate;
    let trait_impl = trait_impl::expand(args, agent);
    let registration = registry::expand(args, agent);
    let doc = match registry::built_with(args) {
        Some(built_with) => format!(
            " `{}` as {}, and its registry entry, built with {built_with}.",
            agent.type_name,
            agent.kind.article(),
        ),
        None => format!(
            " `{}` as {}; no registry entry (`register = false`).",
            agent.type_name,
            agent.kind.article(),
        ),
    };
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        const _: () = {
            /// agent-core, which every path below goes through.
            use #krate as _agent_core;

            #trait_impl

            #registration
        };
    }
}

/// A span that resolves like the macro's own tokens but points at `at`, the
/// user's token that a generated piece of code stands for.
fn located_at(at: Span) -> Span {
    Span::call_site().located_at(at)
}

#[cfg(test)]
mod tests;
