//! Secrets, looked up as flytekit's `SecretsManager` looks them up: a Flyte 2
//! connection secret when the request carries one, else the environment
//! variable `_FSEC_<GROUP>_<KEY>`, else the file `/etc/secrets/<group>/<key>`
//! (where the `flyteconnector` Helm chart mounts them).
//!
//! The prefix and directory follow flytekit's settings:
//! `FLYTE_SECRETS_ENV_PREFIX` (default `_FSEC_`), `FLYTE_SECRETS_DEFAULT_DIR`
//! (default `/etc/secrets`) and `FLYTE_SECRETS_FILE_PREFIX` (default empty).
//! A value is never logged, nor put in an error.

use std::fmt;
use std::path::PathBuf;

use crate::{AgentError, Connection};

/// A secret's value. Its `Debug` and `Display` hide the value: read it with
/// [`expose`](Self::expose) where it is used, and nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where secrets are looked for, as flytekit's `SecretsConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsConfig {
    /// The prefix of secret environment variables.
    pub env_prefix: String,
    /// The directory of secret files, one folder per group.
    pub default_dir: PathBuf,
    /// The prefix of secret file names.
    pub file_prefix: String,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            env_prefix: "_FSEC_".to_string(),
            default_dir: PathBuf::from("/etc/secrets"),
            file_prefix: String::new(),
        }
    }
}

impl SecretsConfig {
    /// The defaults, overridden by `FLYTE_SECRETS_ENV_PREFIX`,
    /// `FLYTE_SECRETS_DEFAULT_DIR` and `FLYTE_SECRETS_FILE_PREFIX`.
    pub fn from_env() -> Self {
        let defaults = SecretsConfig::default();
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string());
        SecretsConfig {
            env_prefix: var("FLYTE_SECRETS_ENV_PREFIX").unwrap_or(defaults.env_prefix),
            default_dir: var("FLYTE_SECRETS_DEFAULT_DIR")
                .map_or(defaults.default_dir, PathBuf::from),
            file_prefix: var("FLYTE_SECRETS_FILE_PREFIX").unwrap_or(defaults.file_prefix),
        }
    }

    /// The environment variable of a secret: the prefix, then the group and
    /// key upper-cased and joined by `_` (an empty group is left out).
    pub fn env_var(&self, group: &str, key: &str) -> String {
        let parts: Vec<String> = [group, key]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(str::to_uppercase)
            .collect();
        format!("{}{}", self.env_prefix, parts.join("_"))
    }

    /// The file of a secret: `<dir>/<group>/<file prefix><key>`, lower-cased
    /// (an empty group is left out); `None` unless the group and the key are
    /// plain names (no `/`, `\\`, NUL, `.` or `..`), so that no secret is
    /// read from outside the directory.
    pub fn file(&self, group: &str, key: &str) -> Option<PathBuf> {
        if !(group.is_empty() || is_plain_name(group)) || !is_plain_name(key) {
            return None;
        }
        let mut path = self.default_dir.clone();
        if !group.is_empty() {
            path.push(group.to_lowercase());
        }
        path.push(format!("{}{}", self.file_prefix, key.to_lowercase()));
        Some(path)
    }

    /// Looks the secret `key` of `group` up in `connection`, then in the
    /// environment `env` reads, then in its file.
    ///
    /// Fails with `FAILED_PRECONDITION`, naming every place looked, when it
    /// is in none of them.
    pub fn lookup(
        &self,
        connection: &Connection,
        env: impl Fn(&str) -> Option<String>,
        group: &str,
        key: &str,
    ) -> Result<SecretValue, AgentError> {
        if let Some(value) = connection.secret_value(key) {
            return Ok(SecretValue(value.to_string()));
        }
        let env_var = self.env_var(group, key);
        if let Some(value) = env(&env_var) {
            return Ok(SecretValue(value.trim().to_string()));
        }
        let Some(file) = self.file(group, key) else {
            return Err(AgentError::invalid_argument(format!(
                "secret group `{group}` and key `{key}` must each be a plain name, one file or \
                 folder under {}: no `/`, `\\`, NUL, `.` or `..`",
                self.default_dir.display()
            )));
        };
        match std::fs::read_to_string(&file) {
            Ok(value) => Ok(SecretValue(value.trim().to_string())),
            Err(error) => Err(AgentError::failed_precondition(format!(
                "secret `{key}`{} not found: not in the request's connection, not in the \
                 environment variable {env_var}, and not in the file {} ({error}); give the \
                 agent server one of them (the flyteconnector Helm chart mounts secrets \
                 under /etc/secrets)",
                if group.is_empty() {
                    String::new()
                } else {
                    format!(" of group `{group}`")
                },
                file.display()
            ))),
        }
    }
}

/// Whether `name` names one file or folder within a directory: not empty,
/// not `.` or `..`, and without a path separator or a NUL.
fn is_plain_name(name: &str) -> bool {
    !matches!(name, "" | "." | "..") && !name.contains(['/', '\\', '\0'])
}

impl Connection {
    /// The secret `key` of `group` (`""` for none, as flytekit's
    /// `get_agent_secret(key)`): this connection's secret named `key` when it
    /// carries one, else `_FSEC_<GROUP>_<KEY>`, else
    /// `/etc/secrets/<group>/<key>`, with flytekit's settings read from the
    /// environment ([`SecretsConfig::from_env`]).
    ///
    /// Fails with `FAILED_PRECONDITION`, naming every place looked, when the
    /// secret is nowhere.
    pub fn secret(&self, group: &str, key: &str) -> Result<SecretValue, AgentError> {
        SecretsConfig::from_env().lookup(self, |name| std::env::var(name).ok(), group, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(dir: &std::path::Path) -> SecretsConfig {
        SecretsConfig {
            default_dir: dir.to_path_buf(),
            ..SecretsConfig::default()
        }
    }

    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("agent-core-secrets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn names_are_flytekits() {
        let config = SecretsConfig::default();
        assert_eq!(config.env_var("openai", "api-key"), "_FSEC_OPENAI_API-KEY");
        assert_eq!(config.env_var("", "token"), "_FSEC_TOKEN");
        assert_eq!(
            config.file("OpenAI", "API_KEY"),
            Some(PathBuf::from("/etc/secrets/openai/api_key"))
        );
        assert_eq!(
            config.file("", "token"),
            Some(PathBuf::from("/etc/secrets/token"))
        );
    }

    #[test]
    fn the_connection_comes_first_then_the_environment_then_the_file() {
        let dir = scratch_dir("order");
        std::fs::create_dir_all(dir.join("openai")).unwrap();
        std::fs::write(dir.join("openai/api_key"), "from-file\n").unwrap();
        let config = config(&dir);
        let env: HashMap<String, String> =
            [("_FSEC_OPENAI_API_KEY".to_string(), " from-env ".to_string())].into();
        let env = |name: &str| env.get(name).cloned();
        let no_env = |_: &str| None;

        let connection = Connection::default().with_secret("api_key", "from-connection");
        let value = config
            .lookup(&connection, env, "openai", "api_key")
            .unwrap();
        assert_eq!(value.expose(), "from-connection");
        let value = config
            .lookup(&Connection::default(), env, "openai", "api_key")
            .unwrap();
        assert_eq!(value.expose(), "from-env");
        let value = config
            .lookup(&Connection::default(), no_env, "openai", "api_key")
            .unwrap();
        assert_eq!(value.expose(), "from-file");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_secret_names_every_place_looked_and_no_value() {
        let dir = scratch_dir("missing");
        let connection = Connection::default().with_secret("other", "hunter2");
        let error = config(&dir)
            .lookup(&connection, |_| None, "openai", "api_key")
            .unwrap_err();
        let message = error.message();
        assert!(message.contains("_FSEC_OPENAI_API_KEY"), "{message}");
        assert!(message.contains("openai/api_key"), "{message}");
        assert!(message.contains("connection"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_group_or_key_that_leaves_the_directory_is_refused() {
        let dir = scratch_dir("escape");
        std::fs::write(dir.join("outside"), "not a secret").unwrap();
        let inner = dir.join("secrets");
        std::fs::create_dir_all(inner.join("group")).unwrap();
        std::fs::write(inner.join("group/key"), "the secret").unwrap();
        let config = config(&inner);
        let lookup =
            |group: &str, key: &str| config.lookup(&Connection::default(), |_| None, group, key);
        assert_eq!(lookup("group", "key").unwrap().expose(), "the secret");
        for (group, key) in [
            ("..", "outside"),
            ("", "../outside"),
            ("group/..", "../outside"),
            (dir.to_str().unwrap(), "outside"),
            ("group", ""),
            ("group", "."),
            ("group", "key\0"),
        ] {
            let error = lookup(group, key).unwrap_err();
            assert_eq!(
                error.kind(),
                crate::ErrorKind::InvalidArgument,
                "{group:?} {key:?}"
            );
            assert!(
                error.message().contains("plain name"),
                "{}",
                error.message()
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_value_is_hidden_when_printed() {
        let value = SecretValue("hunter2".into());
        assert!(!format!("{value:?} {value}").contains("hunter2"));
    }
}
