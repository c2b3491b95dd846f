//! The pipeline, and code generation: one file per artefact.
//!
//! Input: the attribute's tokens and the annotated impl block.
//! Output: the impl block (its agent methods with `#[allow]`s for the
//! pedantic clippy lints whose advice the trait forbids), then the agent
//! trait impl (`trait_impl`), then the registry entry (`registry`); or, when
//! anything is wrong, the impl block unchanged and every error found.

mod registry;
mod trait_impl;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ctxt::Ctxt;
use crate::model::Kind;
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
    let trait_impl = trait_impl::expand(&args, &agent);
    let registration = registry::expand(&args, &agent);
    let item = &agent.item;
    quote! {
        #item
        #trait_impl
        #registration
    }
}

/// A span that resolves like the macro's own tokens but points at `at`, the
/// user's token that a generated piece of code stands for.
fn located_at(at: Span) -> Span {
    Span::call_site().located_at(at)
}

#[cfg(test)]
mod tests;
