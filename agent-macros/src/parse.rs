//! Reads the annotated item into the [`model`](crate::model): which methods
//! play which role, with their receivers, parameters and return types.
//! Reports what makes the item unusable (not an inherent impl block, generic)
//! and leaves shape checks to `check`.

use proc_macro2::{Delimiter, Group, Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;

use crate::ctxt::Ctxt;
use crate::model::{Agent, Helper, Kind, Method, Receiver, Returns, Role};
use crate::text::tokens_to_string;

/// Input: `impl ChatAgent { fn do(&self, task: TaskContext) ... }`, which no
/// Rust parser accepts since `do` is a keyword.
/// Output: the same tokens with `fn r#do`, so the rest of the pipeline reads
/// the method. rustc has already reported `do`, suggesting `r#do`, when it
/// parsed the item for the attribute, so no error of ours repeats it.
///
/// Only methods of the block itself are looked at, not nested items.
pub(crate) fn escape_keyword_do(item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(TokenTree::Group(body)) = tokens.last() else {
        return tokens.into_iter().collect();
    };
    if body.delimiter() != Delimiter::Brace {
        return tokens.into_iter().collect();
    }
    let mut changed = false;
    let mut previous_is_fn = false;
    let members: TokenStream = body
        .stream()
        .into_iter()
        .map(|token| {
            let is_fn = matches!(&token, TokenTree::Ident(ident) if ident == "fn");
            let token = match token {
                TokenTree::Ident(ident) if previous_is_fn && ident == "do" => {
                    changed = true;
                    TokenTree::Ident(Ident::new_raw("do", ident.span()))
                }
                token => token,
            };
            previous_is_fn = is_fn;
            token
        })
        .collect();
    if changed {
        let mut group = Group::new(Delimiter::Brace, members);
        group.set_span(body.span());
        *tokens.last_mut().expect("the body") = TokenTree::Group(group);
    }
    tokens.into_iter().collect()
}

/// Reads `item` as an agent's inherent impl block; `None` when it is
/// something else (reported), or not Rust at all (which rustc has reported
/// already, when it parsed the item for the attribute).
pub(crate) fn agent(kind: Kind, item: TokenStream, ctxt: &Ctxt) -> Option<Agent> {
    let item = syn::parse2::<syn::Item>(item).ok()?;
    let item = match item {
        syn::Item::Impl(item) => item,
        other => {
            not_an_impl_block(kind, &other, ctxt);
            return None;
        }
    };
    if let Some((_, path, for_token)) = &item.trait_ {
        let self_ty = type_name(&item.self_ty);
        ctxt.error_spanned_by(
            quote!(#path #for_token),
            format!(
                "`#[{attr}]` goes on an inherent impl block and writes the trait impl itself: \
                 write `impl {self_ty} {{ ... }}` (remove `{trait_name} for`)",
                attr = kind.attribute(),
                trait_name = tokens_to_string(path),
            ),
        );
        return None;
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        generic_impl(kind, &item, ctxt);
        return None;
    }
    let mut agent = Agent {
        kind,
        type_name: type_name(&item.self_ty),
        self_ty: (*item.self_ty).clone(),
        methods: Vec::new(),
        helpers: Vec::new(),
        item: item.clone(),
    };
    for member in &item.items {
        let syn::ImplItem::Fn(function) = member else {
            continue;
        };
        let ident = &function.sig.ident;
        let name = ident.unraw().to_string();
        if let Some(argument) = written_by_the_macro(&name) {
            ctxt.error_spanned_by(
                ident,
                format!(
                    "`#[{attr}]` writes `{name}` itself, so this method would be ignored: \
                     {argument} in `#[{attr}(...)]`, and remove this method or rename it",
                    attr = kind.attribute(),
                ),
            );
            continue;
        }
        let Some(role) = kind.role_named(&name) else {
            agent.helpers.push(helper(function));
            continue;
        };
        let method = method(role, function);
        // Two methods of one role are alternatives when a `#[cfg]` picks one;
        // two with one name and no `#[cfg]` are reported by rustc.
        let duplicate = agent.methods.iter().find(|other| {
            other.role == role && other.cfg_attrs.is_empty() && method.cfg_attrs.is_empty()
        });
        if let Some(first) = duplicate {
            if first.ident.unraw() != ident.unraw() {
                ctxt.error_spanned_by(
                    ident,
                    format!(
                        "`{ident}` and `{first}` are the same method of {article}: keep one of \
                         them",
                        first = first.ident,
                        article = kind.article(),
                    ),
                );
            }
            continue;
        }
        agent.methods.push(method);
    }
    Some(agent)
}

/// The methods of the agent traits that the macro writes from the
/// attribute's arguments, with how to set them there.
fn written_by_the_macro(name: &str) -> Option<&'static str> {
    match name {
        "name" => Some("set the name with `name = \"...\"`"),
        "idempotent" => Some("turn idempotency off with `idempotency = \"off\"`"),
        "task_category" => Some("set the task category with `task_type` and `version`"),
        _ => None,
    }
}

/// Input: `impl<C> ChatAgent<C>`, `impl<'a> ChatAgent<'a>` or
/// `impl ChatAgent where ...`.
/// Output: an error at the generics (or the `where` clause) that says what
/// to write instead.
fn generic_impl(kind: Kind, item: &syn::ItemImpl, ctxt: &Ctxt) {
    let generics = &item.generics;
    let attr = kind.attribute();
    let name = type_name(&item.self_ty);
    if generics.params.is_empty() {
        ctxt.error_spanned_by(
            &generics.where_clause,
            format!(
                "`#[{attr}]` does not support a `where` clause on the impl block: `{name}` is \
                 one concrete type, so remove the `where` clause"
            ),
        );
        return;
    }
    let only_lifetimes = generics
        .params
        .iter()
        .all(|param| matches!(param, syn::GenericParam::Lifetime(_)));
    let message = if only_lifetimes {
        format!(
            "`#[{attr}]` does not support lifetime parameters on the impl block: one agent \
             serves every request for as long as the server runs, so write \
             `impl {ty} {{ ... }}` with `'static` for each lifetime, or make `{name}` own its \
             data",
            ty = tokens_to_string(&static_lifetimes(&item.self_ty)),
        )
    } else {
        format!(
            "`#[{attr}]` does not support generic impl blocks: an agent is one concrete type \
             that the registry builds, so write the impl for `{name}` with concrete type \
             arguments, such as `impl {name}<MyClient> {{ ... }}`"
        )
    };
    ctxt.error_spanned_by(generics, message);
}

/// `ChatAgent<'a>` as `ChatAgent<'static>`.
fn static_lifetimes(ty: &syn::Type) -> syn::Type {
    let mut ty = ty.clone();
    if let syn::Type::Path(path) = &mut ty {
        for segment in &mut path.path.segments {
            if let syn::PathArguments::AngleBracketed(arguments) = &mut segment.arguments {
                for argument in &mut arguments.args {
                    if let syn::GenericArgument::Lifetime(lifetime) = argument {
                        *lifetime = syn::Lifetime::new("'static", lifetime.span());
                    }
                }
            }
        }
    }
    ty
}

fn method(role: Role, function: &syn::ImplItemFn) -> Method {
    let sig = &function.sig;
    let params = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(arg) => Some(arg.clone()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let returns = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(returns(ty)),
    };
    // Lifetime parameters (`fn create<'a>(&'a self, ..)`) are inferred where
    // the trait impl calls the method; type and const parameters are not.
    let has_generics = sig.generics.where_clause.is_some()
        || sig
            .generics
            .params
            .iter()
            .any(|param| !matches!(param, syn::GenericParam::Lifetime(_)));
    let qualifiers =
        (sig.constness.is_some() || sig.unsafety.is_some() || sig.abi.is_some()).then(|| {
            let (constness, unsafety, abi) = (&sig.constness, &sig.unsafety, &sig.abi);
            quote!(#constness #unsafety #abi)
        });
    Method {
        role,
        ident: sig.ident.clone(),
        asyncness: sig.asyncness,
        receiver: receiver(sig),
        params,
        paren_span: sig.paren_token.span.join(),
        returns,
        generics: has_generics.then(|| sig.generics.clone()),
        lifetimes: sig
            .generics
            .lifetimes()
            .map(|param| param.lifetime.clone())
            .collect(),
        qualifiers,
        cfg_attrs: function
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("cfg"))
            .cloned()
            .collect(),
    }
}

fn helper(function: &syn::ImplItemFn) -> Helper {
    let sig = &function.sig;
    Helper {
        ident: sig.ident.clone(),
        param_count: sig
            .inputs
            .iter()
            .filter(|input| matches!(input, syn::FnArg::Typed(_)))
            .count(),
        returns_result: match &sig.output {
            syn::ReturnType::Default => false,
            syn::ReturnType::Type(_, ty) => returns(ty).ok_ty.is_some(),
        },
    }
}

fn receiver(sig: &syn::Signature) -> Receiver {
    let Some(receiver) = sig.receiver() else {
        return Receiver::Missing;
    };
    if receiver.colon_token.is_none() {
        return match (&receiver.reference, &receiver.mutability) {
            (Some(_), None) => Receiver::Shared(receiver.self_token.span),
            (Some(_), Some(mutability)) => Receiver::Mutable(mutability.span),
            (None, _) => Receiver::ByValue(receiver.self_token.span),
        };
    }
    // `self: &Self`, `self: &mut Self`, `self: Self`, `self: Box<Self>`...
    match &*receiver.ty {
        syn::Type::Reference(reference) if is_self(&reference.elem) => match reference.mutability {
            None => Receiver::Shared(receiver.self_token.span),
            Some(mutability) => Receiver::Mutable(mutability.span),
        },
        ty if is_self(ty) => Receiver::ByValue(receiver.self_token.span),
        ty => Receiver::Typed(Box::new(ty.clone())),
    }
}

fn is_self(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path) if path.qself.is_none() && path.path.is_ident("Self"))
}

/// `Result<M, E>`, or `Result<M>` and `AgentResult<M>` (aliases), split into
/// its arguments.
fn returns(ty: &syn::Type) -> Returns {
    let mut returns = Returns {
        ty: ty.clone(),
        ok_ty: None,
        err_ty: None,
    };
    let syn::Type::Path(path) = ty else {
        return returns;
    };
    let Some(last) = path.path.segments.last() else {
        return returns;
    };
    if !last.ident.to_string().ends_with("Result") {
        return returns;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return returns;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    });
    returns.ok_ty = types.next();
    returns.err_ty = types.next();
    returns
}

/// What the attribute was put on instead of an impl block.
fn not_an_impl_block(kind: Kind, item: &syn::Item, ctxt: &Ctxt) {
    let (what, culprit, name) = match item {
        syn::Item::Fn(function) => {
            let (fn_token, ident) = (&function.sig.fn_token, &function.sig.ident);
            ("a function", quote!(#fn_token #ident), None)
        }
        syn::Item::Struct(item) => {
            let (token, ident) = (&item.struct_token, &item.ident);
            ("a struct", quote!(#token #ident), Some(ident))
        }
        syn::Item::Enum(item) => {
            let (token, ident) = (&item.enum_token, &item.ident);
            ("an enum", quote!(#token #ident), Some(ident))
        }
        syn::Item::Trait(item) => {
            let (token, ident) = (&item.trait_token, &item.ident);
            ("a trait", quote!(#token #ident), None)
        }
        syn::Item::Mod(item) => {
            let (token, ident) = (&item.mod_token, &item.ident);
            ("a module", quote!(#token #ident), None)
        }
        other => ("this item", first_token(other), None),
    };
    let target = name.map_or_else(|| "MyAgent".to_string(), ToString::to_string);
    let methods = match kind {
        Kind::Async => "methods `create`, `get` and `delete`",
        Kind::Sync => "method `execute`",
    };
    ctxt.error_spanned_by(
        culprit,
        format!(
            "`#[{attr}]` goes on the agent type's inherent impl block, not on {what}: write \
             `#[{attr}(task_type = \"...\")] impl {target} {{ ... }}` with its {methods}",
            attr = kind.attribute(),
        ),
    );
}

fn first_token(item: &syn::Item) -> TokenStream {
    item.to_token_stream().into_iter().take(1).collect()
}

/// The type's bare name: `BigQueryAgent` for `crate::agents::BigQueryAgent`.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => match path.path.segments.last() {
            Some(segment) => segment.ident.unraw().to_string(),
            None => ty.to_token_stream().to_string(),
        },
        other => other.to_token_stream().to_string(),
    }
}
