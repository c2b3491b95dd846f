//! The user's impl block, re-emitted.
//!
//! Input:
//!
//! ```text
//! impl BigQueryAgent {
//!     async fn delete(&self, _job: Job) -> Result<(), AgentError> { Ok(()) }
//!     fn client(&self) -> &Client { .. }
//! }
//! ```
//!
//! Output: the same, with `#[allow(..)]` on each agent method for the
//! pedantic clippy lints whose advice the agent trait forbids: it calls the
//! method with `&self` (but for the metadata codec), hands it its
//! parameters by value, and takes a `Result`, from a future even when the
//! method never awaits.
//!
//! ```text
//! impl BigQueryAgent {
//!     #[allow(clippy::unused_async, clippy::unused_self, clippy::needless_pass_by_value,
//!             clippy::unnecessary_wraps)]
//!     async fn delete(&self, _job: Job) -> Result<(), AgentError> { Ok(()) }
//!     fn client(&self) -> &Client { .. }
//! }
//! ```

use quote::quote;
use syn::ext::IdentExt;

use crate::model::Agent;

pub(super) fn expand(agent: &Agent) -> syn::ItemImpl {
    let mut item = agent.item.clone();
    for member in &mut item.items {
        let syn::ImplItem::Fn(function) = member else {
            continue;
        };
        let name = function.sig.ident.unraw().to_string();
        let Some(role) = agent.kind.role_named(&name) else {
            continue;
        };
        let unused_async = function
            .sig
            .asyncness
            .map(|_| quote!(clippy::unused_async,));
        // The codec takes no `self`, and its parameters by reference.
        let by_self = (!role.is_codec())
            .then(|| quote!(clippy::unused_self, clippy::needless_pass_by_value,));
        function.attrs.push(syn::parse_quote! {
            #[allow(#unused_async #by_self clippy::unnecessary_wraps)]
        });
    }
    item
}
