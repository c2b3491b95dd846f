//! The [`Registry`]: which agent serves which task category, the lookups
//! every front door shares (with their error messages), and the agent
//! metadata that `ListAgents` and `ListConnectors` answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use hashbrown::{Equivalent, HashMap};

use crate::proto::flyteidl::core;
use crate::{AgentError, AsyncAgent, DynAsyncAgent, DynSyncAgent, SyncAgent, TaskCategory};

/// An agent of either kind, ready to serve.
#[derive(Clone)]
pub enum RegisteredAgent {
    /// An agent with create, get and delete.
    Async(Arc<dyn DynAsyncAgent>),
    /// An agent with execute.
    Sync(Arc<dyn DynSyncAgent>),
}

impl RegisteredAgent {
    /// Wraps an async agent.
    pub fn from_async(agent: impl AsyncAgent) -> Self {
        RegisteredAgent::Async(Arc::new(agent))
    }

    /// Wraps a sync agent.
    pub fn from_sync(agent: impl SyncAgent) -> Self {
        RegisteredAgent::Sync(Arc::new(agent))
    }

    /// The task category it serves.
    pub fn task_category(&self) -> TaskCategory {
        match self {
            RegisteredAgent::Async(agent) => agent.task_category(),
            RegisteredAgent::Sync(agent) => agent.task_category(),
        }
    }

    /// Its display name.
    pub fn name(&self) -> String {
        match self {
            RegisteredAgent::Async(agent) => agent.name(),
            RegisteredAgent::Sync(agent) => agent.name(),
        }
    }

    /// Whether it is a sync agent.
    pub fn is_sync(&self) -> bool {
        matches!(self, RegisteredAgent::Sync(_))
    }

    /// The async agent, serving `category`.
    ///
    /// Fails with `INVALID_ARGUMENT` when it is a sync agent.
    pub(crate) fn as_async(
        &self,
        category: &TaskCategory,
    ) -> Result<&Arc<dyn DynAsyncAgent>, AgentError> {
        match self {
            RegisteredAgent::Async(agent) => Ok(agent),
            RegisteredAgent::Sync(agent) => Err(AgentError::invalid_argument(format!(
                "task category {category} is served by the sync agent `{}`, which runs a task \
                 in one call: send it with SyncAgentService.ExecuteTaskSync instead",
                agent.name()
            ))),
        }
    }

    /// The sync agent, serving `category`.
    ///
    /// Fails with `INVALID_ARGUMENT` when it is an async agent.
    pub(crate) fn as_sync(
        &self,
        category: &TaskCategory,
    ) -> Result<&Arc<dyn DynSyncAgent>, AgentError> {
        match self {
            RegisteredAgent::Sync(agent) => Ok(agent),
            RegisteredAgent::Async(agent) => Err(AgentError::invalid_argument(format!(
                "task category {category} is served by the async agent `{}`, which starts a \
                 job and is polled for it: send it with AsyncAgentService.CreateTask instead",
                agent.name()
            ))),
        }
    }
}

/// A task category as a request names it, looked up without copying its
/// name. Hashes as the [`TaskCategory`] of the same name and version does
/// (both derive `Hash` from a string and an `i32`).
#[derive(Hash)]
struct NamedCategory<'a> {
    name: &'a str,
    version: i32,
}

impl Equivalent<TaskCategory> for NamedCategory<'_> {
    fn equivalent(&self, category: &TaskCategory) -> bool {
        self.name == category.name && self.version == category.version
    }
}

/// An agent that `#[async_agent]` or `#[sync_agent]` registered, collected at
/// start-up by [`RegistryBuilder::collected`].
pub struct AgentRegistration {
    construct: fn() -> RegisteredAgent,
}

impl AgentRegistration {
    /// A registration that builds its agent with `construct`.
    pub const fn new(construct: fn() -> RegisteredAgent) -> Self {
        AgentRegistration { construct }
    }
}

inventory::collect!(AgentRegistration);

/// How the registry entry of an agent without `init` builds it: with
/// `Default`. Implemented for every `Default` type; `#[async_agent]` and
/// `#[sync_agent]` build such an agent through it, so that one with neither
/// `Default` nor `init` is reported with what to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no `Default` impl, so its registry entry cannot build it",
    label = "the registry builds `{Self}` with `Default::default()`",
    note = "derive or implement `Default` for `{Self}`, or pass a constructor with `init = Self::new` (a `fn() -> Self`), or write `register = false` and register the agent by hand with `Registry::builder()`"
)]
pub trait DefaultAgent: Sized {
    /// `Default::default()`.
    fn default_agent() -> Self;
}

impl<T: Default> DefaultAgent for T {
    fn default_agent() -> Self {
        T::default()
    }
}

/// Why a registry could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two agents claim the same task category.
    #[error(
        "task category {category} is served by both `{first}` and `{second}`: \
         give one of them another task_type or version"
    )]
    DuplicateCategory {
        /// The category claimed twice.
        category: TaskCategory,
        /// The agent registered first.
        first: String,
        /// The agent registered second.
        second: String,
    },
    /// An agent's task type is empty.
    #[error("agent `{agent}` has an empty task type: set task_type to the template's task type")]
    EmptyTaskType {
        /// The agent's name.
        agent: String,
    },
    /// A sync and an async agent share a name, which `ListAgents` would
    /// report as one agent of one kind.
    #[error(
        "the name `{name}` is used by both a sync and an async agent: \
         give one of them another name"
    )]
    NameUsedByBothKinds {
        /// The shared name.
        name: String,
    },
}

/// What the registry tells about one agent: its name, kind and task
/// categories, grouped by name as `ListAgents` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMetadata {
    /// The agent's display name.
    pub name: String,
    /// Whether it runs tasks in one call.
    pub is_sync: bool,
    /// The task categories it serves, in registration order.
    pub task_categories: Vec<TaskCategory>,
}

/// Which agent serves which task category.
pub struct Registry {
    /// Looked up on every request: hashed with foldhash, not SipHash.
    agents: HashMap<TaskCategory, RegisteredAgent, foldhash::fast::RandomState>,
    metadata: Vec<AgentMetadata>,
}

impl Registry {
    /// A builder to register agents explicitly.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// A registry of every agent annotated with `#[async_agent]` or
    /// `#[sync_agent]` in this binary.
    ///
    /// Agents defined in a library crate are part of the binary only when
    /// the binary uses that crate: name one of its items, or write
    /// `use my_agents as _;`.
    pub fn collected() -> Result<Registry, RegistryError> {
        Registry::builder().collected().build()
    }

    /// The agent for `category`.
    ///
    /// Fails with `NOT_FOUND`, listing the categories served, when there is
    /// none.
    pub fn get(&self, category: &TaskCategory) -> Result<&RegisteredAgent, AgentError> {
        self.find(&category.name, category.version)
            .map(|(_, agent)| agent)
    }

    /// The agent for the task category `template` names (its type and
    /// version), with the category as registered, which a call borrows
    /// instead of building one per request.
    ///
    /// Fails with `NOT_FOUND`, listing the categories served, when there is
    /// none.
    pub(crate) fn serving(
        &self,
        template: &core::TaskTemplate,
    ) -> Result<(&TaskCategory, &RegisteredAgent), AgentError> {
        self.find(&template.r#type, template.task_type_version)
    }

    /// The agent for the task type `name` at `version`, with its category
    /// as registered.
    fn find(
        &self,
        name: &str,
        version: i32,
    ) -> Result<(&TaskCategory, &RegisteredAgent), AgentError> {
        self.agents
            .get_key_value(&NamedCategory { name, version })
            .ok_or_else(|| {
                AgentError::not_found(format!(
                    "no agent serves task category {}; this server serves: {}",
                    TaskCategory::new(name, version),
                    self.describe_categories()
                ))
            })
    }

    /// The async agent for `category`.
    ///
    /// Fails with `NOT_FOUND` when there is none, and with
    /// `INVALID_ARGUMENT` when a sync agent serves it.
    pub fn async_agent(
        &self,
        category: &TaskCategory,
    ) -> Result<&Arc<dyn DynAsyncAgent>, AgentError> {
        self.get(category)?.as_async(category)
    }

    /// The sync agent for `category`.
    ///
    /// Fails with `NOT_FOUND` when there is none, and with
    /// `INVALID_ARGUMENT` when an async agent serves it.
    pub fn sync_agent(
        &self,
        category: &TaskCategory,
    ) -> Result<&Arc<dyn DynSyncAgent>, AgentError> {
        self.get(category)?.as_sync(category)
    }

    /// Every task category served.
    pub fn categories(&self) -> impl Iterator<Item = TaskCategory> + '_ {
        self.agents.keys().cloned()
    }

    /// The metadata of every agent, grouped by agent name, as `ListAgents` answers.
    pub fn agents(&self) -> &[AgentMetadata] {
        &self.metadata
    }

    /// The metadata of the agent called `name`.
    ///
    /// Fails with `NOT_FOUND`, listing the names served, when there is none.
    pub fn agent(&self, name: &str) -> Result<&AgentMetadata, AgentError> {
        self.metadata
            .iter()
            .find(|agent| agent.name == name)
            .ok_or_else(|| {
                let known: Vec<_> = self.metadata.iter().map(|a| a.name.as_str()).collect();
                AgentError::not_found(format!(
                    "no agent is named `{name}`; this server has: {}",
                    known.join(", ")
                ))
            })
    }

    /// The number of task categories served.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether no agent is registered.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    fn describe_categories(&self) -> String {
        let mut categories: Vec<_> = self.agents.keys().map(ToString::to_string).collect();
        categories.sort();
        if categories.is_empty() {
            "nothing".to_string()
        } else {
            categories.join(", ")
        }
    }
}

/// Builds a [`Registry`].
#[derive(Default)]
pub struct RegistryBuilder {
    agents: Vec<RegisteredAgent>,
}

impl RegistryBuilder {
    /// Registers an async agent.
    pub fn async_agent(mut self, agent: impl AsyncAgent) -> Self {
        self.agents.push(RegisteredAgent::from_async(agent));
        self
    }

    /// Registers a sync agent.
    pub fn sync_agent(mut self, agent: impl SyncAgent) -> Self {
        self.agents.push(RegisteredAgent::from_sync(agent));
        self
    }

    /// Registers an agent of either kind.
    pub fn agent(mut self, agent: RegisteredAgent) -> Self {
        self.agents.push(agent);
        self
    }

    /// Registers every agent annotated with `#[async_agent]` or `#[sync_agent]`
    /// in this binary.
    pub fn collected(mut self) -> Self {
        self.agents.extend(
            inventory::iter::<AgentRegistration>
                .into_iter()
                .map(|registration| (registration.construct)()),
        );
        self
    }

    /// Checks that every category has one agent and builds the registry.
    pub fn build(self) -> Result<Registry, RegistryError> {
        let mut agents: HashMap<TaskCategory, RegisteredAgent, _> = HashMap::default();
        let mut metadata: BTreeMap<String, AgentMetadata> = BTreeMap::new();
        for agent in self.agents {
            let category = agent.task_category();
            let name = agent.name();
            if category.name.is_empty() {
                return Err(RegistryError::EmptyTaskType { agent: name });
            }
            if let Some(first) = agents.get(&category) {
                return Err(RegistryError::DuplicateCategory {
                    category,
                    first: first.name(),
                    second: name,
                });
            }
            let entry = metadata
                .entry(name.clone())
                .or_insert_with(|| AgentMetadata {
                    name: name.clone(),
                    is_sync: agent.is_sync(),
                    task_categories: Vec::new(),
                });
            if entry.is_sync != agent.is_sync() {
                return Err(RegistryError::NameUsedByBothKinds { name });
            }
            entry.task_categories.push(category.clone());
            agents.insert(category, agent);
        }
        Ok(Registry {
            agents,
            metadata: metadata.into_values().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_is_found_by_the_name_and_version_a_request_carries() {
        let mut agents: HashMap<TaskCategory, u8, foldhash::fast::RandomState> = HashMap::default();
        agents.insert(TaskCategory::new("sql_query", 0), 0);
        agents.insert(TaskCategory::new("sql_query", 1), 1);
        agents.insert(TaskCategory::new("shell", 0), 2);
        let found = |name, version| {
            agents
                .get_key_value(&NamedCategory { name, version })
                .map(|(category, agent)| (category.clone(), *agent))
        };
        assert_eq!(
            found("sql_query", 1),
            Some((TaskCategory::new("sql_query", 1), 1))
        );
        assert_eq!(found("shell", 0), Some((TaskCategory::new("shell", 0), 2)));
        assert_eq!(found("shell", 1), None);
        assert_eq!(found("sql", 0), None);
    }
}
