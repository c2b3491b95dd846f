//! Attribute macros `#[async_agent]` and `#[sync_agent]` for agent-core.
//!
//! Use them through `agent_core`, which re-exports and documents them. The
//! pipeline: `args` parses the attribute, `parse` reads the impl block into
//! the `model`, `check` reports every mistake at once, and `expand` writes
//! one artefact per file.

mod args;
mod check;
mod ctxt;
mod expand;
mod model;
mod parse;
mod similar;
mod text;

use proc_macro::TokenStream;

/// Makes the `impl` block's type an `agent_core::AsyncAgent`. Documented at
/// `agent_core::async_agent`.
#[proc_macro_attribute]
pub fn async_agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand_async_agent(attr.into(), item.into()).into()
}

/// Makes the `impl` block's type an `agent_core::SyncAgent`. Documented at
/// `agent_core::sync_agent`.
#[proc_macro_attribute]
pub fn sync_agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand_sync_agent(attr.into(), item.into()).into()
}
