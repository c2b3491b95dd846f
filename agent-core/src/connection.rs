//! [`Connection`]: the secrets and configs of the outside system a task runs
//! on, as Flyte 2 sends them with every create, get and delete.

use std::collections::BTreeMap;
use std::fmt;

/// The secrets and configs Propeller resolved for a task's connection
/// (Flyte 2's `Connection`): an API key, an endpoint, a region.
///
/// Flyte 1 sends none, so a connection is empty there. Its `Debug` output
/// names the secrets but never shows their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    secrets: BTreeMap<String, String>,
    configs: BTreeMap<String, String>,
}

impl Connection {
    /// A connection with these secrets and configs.
    pub fn new(secrets: BTreeMap<String, String>, configs: BTreeMap<String, String>) -> Self {
        Connection { secrets, configs }
    }

    /// Adds the secret `name`.
    pub fn with_secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.secrets.insert(name.into(), value.into());
        self
    }

    /// Adds the config `name`.
    pub fn with_config(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.insert(name.into(), value.into());
        self
    }

    /// The value of the secret `name`, when the connection carries it.
    pub fn secret_value(&self, name: &str) -> Option<&str> {
        self.secrets.get(name).map(String::as_str)
    }

    /// The names of the secrets the connection carries.
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.secrets.keys().map(String::as_str)
    }

    /// The config `name`, when the connection carries it.
    pub fn config(&self, name: &str) -> Option<&str> {
        self.configs.get(name).map(String::as_str)
    }

    /// Every config.
    pub fn configs(&self) -> &BTreeMap<String, String> {
        &self.configs
    }

    /// Whether it carries neither secrets nor configs.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty() && self.configs.is_empty()
    }

    /// The secrets and configs, for a protocol adapter to send.
    pub fn into_parts(self) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        (self.secrets, self.configs)
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("secrets", &Redacted(&self.secrets))
            .field("configs", &self.configs)
            .finish()
    }
}

/// Secret names, with every value replaced.
struct Redacted<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name, "<redacted>")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_secret_names_but_not_values() {
        let connection = Connection::default()
            .with_secret("api_key", "sk-hunter2")
            .with_config("region", "eu-west-1");
        let shown = format!("{connection:?}");
        assert!(shown.contains("api_key"), "{shown}");
        assert!(shown.contains("eu-west-1"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(connection.secret_value("api_key"), Some("sk-hunter2"));
        assert_eq!(connection.secret_names().collect::<Vec<_>>(), ["api_key"]);
    }
}
