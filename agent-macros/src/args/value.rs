//! Reading one argument's value: the tokens after `key =`, checked for what
//! the key takes. Each reader answers the value, or an error at the value
//! that says what to write.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

/// The tokens after `key =`, up to the next comma.
pub(super) struct Value {
    tokens: TokenStream,
}

impl Value {
    pub(super) fn new(tokens: TokenStream) -> Self {
        Value { tokens }
    }

    fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }

    fn lit(&self) -> Option<syn::Lit> {
        syn::parse2(self.tokens.clone()).ok()
    }

    /// The value when it is one identifier written without quotes
    /// (`task_type = bigquery`), to suggest it quoted.
    fn bare_word(&self) -> Option<String> {
        syn::parse2::<Ident>(self.tokens.clone())
            .ok()
            .map(|ident| ident.unraw().to_string())
    }

    /// `task_type = "bigquery"`: a string literal, not empty, without spaces
    /// around it.
    pub(super) fn task_type(&self) -> syn::Result<LitStr> {
        let Some(syn::Lit::Str(lit)) = self.lit() else {
            let fix = match self.bare_word() {
                Some(word) => format!(": write `task_type = \"{word}\"`"),
                None => ", such as `task_type = \"bigquery\"`".to_string(),
            };
            return Err(self.error(format!("`task_type` takes a string literal{fix}")));
        };
        let value = lit.value();
        if value.trim().is_empty() {
            return Err(syn::Error::new_spanned(
                &lit,
                "`task_type` is empty: write the task type that this agent's tasks declare, \
                 such as `task_type = \"bigquery\"`",
            ));
        }
        if value.trim() != value {
            return Err(syn::Error::new_spanned(
                &lit,
                format!(
                    "`task_type` has spaces around it, so no task would match it: write \
                     `task_type = \"{}\"`",
                    value.trim()
                ),
            ));
        }
        Ok(lit)
    }

    /// `version = 1`: an integer literal from 0 up that fits in an `i32`.
    pub(super) fn version(&self) -> syn::Result<i32> {
        let hint = "`version` is the task type version, an integer from 0 up: write `version = 1`";
        match self.lit() {
            Some(syn::Lit::Int(lit)) => match lit.base10_parse::<i32>() {
                Ok(version) if version >= 0 => Ok(version),
                Ok(_) => Err(syn::Error::new_spanned(
                    &lit,
                    format!("`version` cannot be negative: {hint}"),
                )),
                Err(_) => Err(syn::Error::new_spanned(
                    &lit,
                    format!("`version` does not fit in an i32: {hint}"),
                )),
            },
            Some(syn::Lit::Str(lit)) if lit.value().trim().parse::<i32>().is_ok() => {
                Err(syn::Error::new_spanned(
                    &lit,
                    format!(
                        "`version` is an integer, not a string: write `version = {}` without \
                         quotes",
                        lit.value().trim()
                    ),
                ))
            }
            _ if self.tokens.to_string().starts_with('-') => {
                Err(self.error(format!("`version` cannot be negative: {hint}")))
            }
            _ => Err(self.error(format!("`version` must be an integer literal: {hint}"))),
        }
    }

    /// `name = "BigQuery Agent"`: a string literal, not empty.
    pub(super) fn name(&self) -> syn::Result<LitStr> {
        match self.lit() {
            Some(syn::Lit::Str(lit)) if !lit.value().trim().is_empty() => Ok(lit),
            Some(syn::Lit::Str(lit)) => Err(syn::Error::new_spanned(
                &lit,
                "`name` is empty: give a display name, or leave `name` out to use the type's \
                 name",
            )),
            _ => {
                let fix = match self.bare_word() {
                    Some(word) => format!(": write `name = \"{word}\"`"),
                    None => ", such as `name = \"BigQuery Agent\"`".to_string(),
                };
                Err(self.error(format!("`name` takes a string literal{fix}")))
            }
        }
    }

    /// A path, written bare (`Self::new`) or quoted (`"Self::new"`, as serde
    /// does); `hint` says what to write instead of anything else.
    pub(super) fn path(&self, hint: &str) -> syn::Result<syn::Path> {
        let parsed = match self.lit() {
            Some(syn::Lit::Str(lit)) => lit.parse::<syn::Path>(),
            _ => syn::parse2::<syn::Path>(self.tokens.clone()),
        };
        parsed.map_err(|_| self.error(hint))
    }

    /// `idempotency = "on"` or `"off"` (quoted or not): whether creates are
    /// deduplicated.
    pub(super) fn idempotency(&self) -> syn::Result<bool> {
        let word = match self.lit() {
            Some(syn::Lit::Str(lit)) => Some(lit.value()),
            _ => self.bare_word(),
        };
        match word.as_deref() {
            Some("on") => Ok(true),
            Some("off") => Ok(false),
            _ => Err(self.error(
                "`idempotency` is `\"on\"` (the default: a repeated create for one task attempt \
                 starts one job) or `\"off\"`: write `idempotency = \"off\"`",
            )),
        }
    }

    /// `register = false`: a bool literal.
    pub(super) fn register(&self) -> syn::Result<bool> {
        match self.lit() {
            Some(syn::Lit::Bool(lit)) => Ok(lit.value),
            Some(syn::Lit::Str(lit)) if matches!(lit.value().as_str(), "true" | "false") => {
                Err(syn::Error::new_spanned(
                    &lit,
                    format!(
                        "`register` is a bool, not a string: write `register = {}` without quotes",
                        lit.value()
                    ),
                ))
            }
            _ => Err(self.error(
                "`register` is `true` (the default) or `false`: write `register = false` to \
                 leave the agent out of `Registry::collected()` and register it by hand",
            )),
        }
    }
}
