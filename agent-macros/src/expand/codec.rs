//! The metadata codec: the trait impl's `encode_metadata` and
//! `decode_metadata`, calling the block's when it writes them (`check` has
//! made sure it writes both or neither); without them the trait's JSON codec
//! stays.
//!
//! Input:
//!
//! ```text
//! fn encode_metadata(job: &QueryJob) -> Result<Vec<u8>, AgentError> { .. }
//! fn decode_metadata(bytes: &[u8]) -> Result<QueryJob, AgentError> { .. }
//! ```
//!
//! Output, inside the trait impl:
//!
//! ```text
//! /// Encodes the metadata with `BigQueryAgent::encode_metadata` instead of JSON.
//! fn encode_metadata(metadata: &QueryJob)
//!     -> ::core::result::Result<::std::vec::Vec<u8>, _agent_core::AgentError>
//! {
//!     Self::encode_metadata(metadata)
//! }
//! /// Decodes the metadata with `BigQueryAgent::decode_metadata` instead of JSON.
//! fn decode_metadata(bytes: &[u8])
//!     -> ::core::result::Result<Self::Metadata, _agent_core::AgentError>
//! {
//!     Self::decode_metadata(bytes)
//! }
//! ```
//!
//! As for the other methods, the parameters have the user's types and the
//! call is spanned over the user's return type, so a wrong type is reported
//! there.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::signature::{self, Params};
use crate::model::{Agent, Role};

pub(super) fn expand(agent: &Agent) -> TokenStream {
    agent
        .methods
        .iter()
        .filter(|method| method.role.is_codec())
        .map(|method| {
            let trait_fn = format_ident!("{}", method.role.name());
            let user_fn = &method.ident;
            let Params {
                declared,
                passed,
                lifetimes,
                ..
            } = signature::params(method);
            let call = signature::at_return_type(quote!(Self::#user_fn(#(#passed),*)), method);
            let returns = signature::result_type(method.role.output());
            let verb = match method.role {
                Role::EncodeMetadata => "Encodes",
                _ => "Decodes",
            };
            let doc = format!(
                " {verb} the metadata with `{}::{user_fn}` instead of JSON.",
                agent.type_name
            );
            let cfg_attrs = &method.cfg_attrs;
            quote! {
                #[doc = #doc]
                #(#cfg_attrs)*
                fn #trait_fn #lifetimes(#(#declared),*) -> #returns {
                    #call
                }
            }
        })
        .collect()
}
