//! The error sink: every stage reports into one [`Ctxt`], so a user sees all
//! their mistakes in one build instead of one per build (serde's `Ctxt`).

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects the errors of one macro invocation.
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Vec::new()),
        }
    }

    /// Reports `message` at the tokens of `culprit`.
    pub(crate) fn error_spanned_by(&self, culprit: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(culprit, message));
    }

    /// Reports a ready-made error (one from syn, or one with a custom span).
    pub(crate) fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// The reported errors as `compile_error!` invocations, or `None` when
    /// there were none.
    pub(crate) fn into_compile_errors(self) -> Option<TokenStream> {
        let errors = self.into_errors();
        if errors.is_empty() {
            return None;
        }
        Some(errors.iter().map(syn::Error::to_compile_error).collect())
    }

    /// The reported errors.
    pub(crate) fn into_errors(self) -> Vec<syn::Error> {
        self.errors.into_inner()
    }
}
