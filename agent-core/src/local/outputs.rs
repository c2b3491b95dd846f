//! [`Outputs`]: what a successful local run answers.

use crate::literal::{FromLiteral, LiteralError, read_input};
use crate::proto::flyteidl::core::LiteralMap;
use crate::resource::{LogLink, ResourceParts};

/// The outputs of a task that succeeded, with its last message and log links.
///
/// ```
/// # use agent_core::literal::LiteralMapBuilder;
/// # use agent_core::local::Outputs;
/// # let outputs = Outputs::from(LiteralMapBuilder::new().with("o0", 42).build().unwrap());
/// let answer: i64 = outputs.get("o0").unwrap();
/// assert_eq!(answer, 42);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    literals: LiteralMap,
    message: String,
    log_links: Vec<LogLink>,
}

impl Outputs {
    /// The output `name` as a Rust value.
    ///
    /// Fails when there is no such output (the error lists those there
    /// are) or it holds another type.
    pub fn get<T: FromLiteral>(&self, name: &str) -> Result<T, LiteralError> {
        read_input(&self.literals, name)
    }

    /// The outputs as Flyte literals.
    pub fn literals(&self) -> &LiteralMap {
        &self.literals
    }

    /// The job's last message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The job's log links.
    pub fn log_links(&self) -> &[LogLink] {
        &self.log_links
    }
}

impl From<ResourceParts> for Outputs {
    fn from(resource: ResourceParts) -> Self {
        Outputs {
            literals: resource.outputs.unwrap_or_default(),
            message: resource.message,
            log_links: resource.log_links,
        }
    }
}

impl From<LiteralMap> for Outputs {
    fn from(literals: LiteralMap) -> Self {
        Outputs {
            literals,
            ..Default::default()
        }
    }
}
