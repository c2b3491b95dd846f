//! The typed model that `parse` builds and `check` and `expand` read: the
//! agent, its methods and their parameters. Plain data, no logic beyond
//! naming.

use proc_macro2::{Span, TokenStream};

/// Which attribute is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[async_agent]`: create, get, delete (and optional metrics and logs).
    Async,
    /// `#[sync_agent]`: execute.
    Sync,
}

impl Kind {
    /// The attribute's name, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Async => "async_agent",
            Kind::Sync => "sync_agent",
        }
    }

    /// "an async agent", "a sync agent", for messages and docs.
    pub(crate) fn article(self) -> &'static str {
        match self {
            Kind::Async => "an async agent",
            Kind::Sync => "a sync agent",
        }
    }

    /// The methods an agent of this kind may have, required ones first.
    pub(crate) fn roles(self) -> &'static [Role] {
        match self {
            Kind::Async => &[
                Role::Create,
                Role::Get,
                Role::Delete,
                Role::GetMetrics,
                Role::GetLogs,
                Role::EncodeMetadata,
                Role::DecodeMetadata,
            ],
            Kind::Sync => &[Role::Execute],
        }
    }

    /// The role of the method named `name` (written without `r#`), if it
    /// has one in an agent of this kind.
    pub(crate) fn role_named(self, name: &str) -> Option<Role> {
        self.roles()
            .iter()
            .copied()
            .find(|role| role.accepted_names().contains(&name))
    }

    /// The other kind, for "did you mean the other attribute?" hints.
    pub(crate) fn other(self) -> Kind {
        match self {
            Kind::Async => Kind::Sync,
            Kind::Sync => Kind::Async,
        }
    }
}

/// What a method of the impl block is to the agent trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Create,
    Get,
    Delete,
    GetMetrics,
    GetLogs,
    /// `execute`, or `r#do` as Flyte calls it.
    Execute,
    /// `encode_metadata`, which writes the metadata as `resource_meta` bytes
    /// instead of JSON.
    EncodeMetadata,
    /// `decode_metadata`, which reads what `encode_metadata` wrote.
    DecodeMetadata,
}

/// What a parameter of an agent method is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamRole {
    /// `task: TaskContext`.
    Task,
    /// `metadata: M`, the type `create` returns.
    Metadata,
    /// `query: MetricsQuery`.
    MetricsQuery,
    /// `query: LogsQuery`.
    LogsQuery,
    /// `connection: Connection`, the secrets and configs sent with the
    /// request.
    Connection,
    /// `metadata: &M`, the metadata to encode.
    MetadataRef,
    /// `bytes: &[u8]`, the `resource_meta` to decode.
    Bytes,
}

/// What a method of the agent trait answers, inside `Result<_, AgentError>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// The metadata type, which `create` defines.
    Metadata,
    /// `Resource`.
    Resource,
    /// `()`.
    Unit,
    /// `Vec<MetricResult>`.
    Metrics,
    /// `TaskLogs`.
    Logs,
    /// `Vec<u8>`, the encoded metadata.
    Bytes,
}

impl Role {
    /// The method's name in the trait.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Create => "create",
            Role::Get => "get",
            Role::Delete => "delete",
            Role::GetMetrics => "get_metrics",
            Role::GetLogs => "get_logs",
            Role::Execute => "execute",
            Role::EncodeMetadata => "encode_metadata",
            Role::DecodeMetadata => "decode_metadata",
        }
    }

    /// The names a user may give the method, without `r#`: `fn r#do` is
    /// `do`.
    pub(crate) fn accepted_names(self) -> &'static [&'static str] {
        match self {
            Role::Execute => &["execute", "do"],
            Role::Create => &["create"],
            Role::Get => &["get"],
            Role::Delete => &["delete"],
            Role::GetMetrics => &["get_metrics"],
            Role::GetLogs => &["get_logs"],
            Role::EncodeMetadata => &["encode_metadata"],
            Role::DecodeMetadata => &["decode_metadata"],
        }
    }

    /// Names that are plausibly this method under another name (Flyte's
    /// RPC names), beyond simple misspellings.
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::Create => &["create_task"],
            Role::Get => &["get_task"],
            Role::Delete => &["delete_task"],
            Role::GetMetrics => &["get_task_metrics"],
            Role::GetLogs => &["get_task_logs"],
            Role::Execute => &["execute_task", "execute_task_sync", "do_task"],
            Role::EncodeMetadata => &["encode_resource_meta"],
            Role::DecodeMetadata => &["decode_resource_meta"],
        }
    }

    /// Whether the agent must have it.
    pub(crate) fn is_required(self) -> bool {
        matches!(
            self,
            Role::Create | Role::Get | Role::Delete | Role::Execute
        )
    }

    /// Whether it is half of the metadata codec: an associated function of
    /// the trait, without `self`, that the server calls in line, never
    /// `async`.
    pub(crate) fn is_codec(self) -> bool {
        matches!(self, Role::EncodeMetadata | Role::DecodeMetadata)
    }

    /// The parameters (after `&self`, but for the codec) that the method
    /// must take.
    pub(crate) fn params(self) -> &'static [ParamRole] {
        match self {
            Role::Create | Role::Execute => &[ParamRole::Task],
            Role::Get | Role::Delete => &[ParamRole::Metadata],
            Role::GetMetrics => &[ParamRole::Metadata, ParamRole::MetricsQuery],
            Role::GetLogs => &[ParamRole::Metadata, ParamRole::LogsQuery],
            Role::EncodeMetadata => &[ParamRole::MetadataRef],
            Role::DecodeMetadata => &[ParamRole::Bytes],
        }
    }

    /// A parameter the method may take after its required ones, or leave
    /// out (the trait method then ignores it).
    pub(crate) fn optional_param(self) -> Option<ParamRole> {
        match self {
            Role::Get | Role::Delete => Some(ParamRole::Connection),
            Role::Create
            | Role::Execute
            | Role::GetMetrics
            | Role::GetLogs
            | Role::EncodeMetadata
            | Role::DecodeMetadata => None,
        }
    }

    /// Every parameter the method may take after `&self`: the required
    /// ones, then the optional one.
    pub(crate) fn all_params(self) -> impl Iterator<Item = ParamRole> {
        self.params().iter().copied().chain(self.optional_param())
    }

    /// What it answers.
    pub(crate) fn output(self) -> Output {
        match self {
            Role::Create | Role::DecodeMetadata => Output::Metadata,
            Role::Get | Role::Execute => Output::Resource,
            Role::Delete => Output::Unit,
            Role::GetMetrics => Output::Metrics,
            Role::GetLogs => Output::Logs,
            Role::EncodeMetadata => Output::Bytes,
        }
    }
}

impl ParamRole {
    /// The parameter's name in the generated trait method.
    pub(crate) fn binding(self) -> &'static str {
        match self {
            ParamRole::Task => "task",
            ParamRole::Metadata | ParamRole::MetadataRef => "metadata",
            ParamRole::MetricsQuery | ParamRole::LogsQuery => "query",
            ParamRole::Connection => "connection",
            ParamRole::Bytes => "bytes",
        }
    }

    /// The type as a user writes it, for messages; `None` for the metadata
    /// (or a reference to it), whose type the user picks.
    pub(crate) fn type_name(self) -> Option<&'static str> {
        match self {
            ParamRole::Task => Some("TaskContext"),
            ParamRole::Metadata | ParamRole::MetadataRef => None,
            ParamRole::MetricsQuery => Some("MetricsQuery"),
            ParamRole::LogsQuery => Some("LogsQuery"),
            ParamRole::Connection => Some("Connection"),
            ParamRole::Bytes => Some("&[u8]"),
        }
    }
}

impl Output {
    /// The `Ok` type as a user writes it, for messages; `None` for the
    /// metadata.
    pub(crate) fn type_name(self) -> Option<&'static str> {
        match self {
            Output::Metadata => None,
            Output::Resource => Some("Resource"),
            Output::Unit => Some("()"),
            Output::Metrics => Some("Vec<MetricResult>"),
            Output::Logs => Some("TaskLogs"),
            Output::Bytes => Some("Vec<u8>"),
        }
    }
}

/// The annotated impl block.
pub(crate) struct Agent {
    pub(crate) kind: Kind,
    /// The type the impl block is for: `BigQueryAgent`.
    pub(crate) self_ty: syn::Type,
    /// Its bare name, the default display name: `"BigQueryAgent"`.
    pub(crate) type_name: String,
    /// The methods that play a role in the agent trait.
    pub(crate) methods: Vec<Method>,
    /// The other methods: helpers, or misspelt roles (`creat`).
    pub(crate) helpers: Vec<Helper>,
    /// The block as written.
    pub(crate) item: syn::ItemImpl,
}

impl Agent {
    /// The method playing `role`, if the block has one.
    pub(crate) fn method(&self, role: Role) -> Option<&Method> {
        self.methods.iter().find(|method| method.role == role)
    }

    /// The metadata type: the `Ok` type of `create`'s return type.
    pub(crate) fn metadata_ty(&self) -> Option<&syn::Type> {
        self.method(Role::Create)?.returns.as_ref()?.ok_ty.as_ref()
    }
}

/// A method of the block that implements a trait method.
pub(crate) struct Method {
    pub(crate) role: Role,
    pub(crate) ident: syn::Ident,
    /// `async`, when the method is an `async fn`.
    pub(crate) asyncness: Option<syn::Token![async]>,
    pub(crate) receiver: Receiver,
    /// The parameters after the receiver.
    pub(crate) params: Vec<syn::PatType>,
    /// The span of the parameter list's parentheses.
    pub(crate) paren_span: Span,
    /// The return type, `None` for `-> ()` left out.
    pub(crate) returns: Option<Returns>,
    /// `fn create<T>`: agent methods cannot have type or const parameters
    /// (lifetime parameters, which the call infers, are fine).
    pub(crate) generics: Option<syn::Generics>,
    /// `'a` in `fn encode_metadata<'a>(metadata: &'a Job)`: the method's
    /// lifetime parameters, which a generated signature that repeats the
    /// user's parameter types declares too.
    pub(crate) lifetimes: Vec<syn::Lifetime>,
    /// `unsafe`, `const` or `extern "C"`, which agent methods cannot be.
    pub(crate) qualifiers: Option<TokenStream>,
    /// The method's `#[cfg(...)]` attributes, copied onto generated code.
    pub(crate) cfg_attrs: Vec<syn::Attribute>,
}

/// How a method takes `self`.
pub(crate) enum Receiver {
    /// `&self` (or `self: &Self`): the one that works (but for the codec,
    /// which takes none), spanned on `self`.
    Shared(Span),
    /// `&mut self`, spanned on `mut`.
    Mutable(Span),
    /// `self` or `mut self`, spanned on `self`.
    ByValue(Span),
    /// `self: Box<Self>` and other typed receivers.
    Typed(Box<syn::Type>),
    /// No receiver.
    Missing,
}

/// A method of the block that plays no role: a helper, or a misspelt role.
pub(crate) struct Helper {
    pub(crate) ident: syn::Ident,
    /// The number of parameters after the receiver.
    pub(crate) param_count: usize,
    /// Whether it returns a `Result`-like type, as agent methods do.
    pub(crate) returns_result: bool,
}

/// A method's return type.
pub(crate) struct Returns {
    pub(crate) ty: syn::Type,
    /// `M` in `Result<M, E>` (or `Result<M>`), when the type has that shape.
    pub(crate) ok_ty: Option<syn::Type>,
    /// `E` in `Result<M, E>`.
    pub(crate) err_ty: Option<syn::Type>,
}
