//! Sealed resource metadata: with a key configured, every `resource_meta`
//! the server hands out carries an HMAC-SHA256 tag, and one that comes back
//! changed, cut short, forged or unsealed is refused with `INVALID_ARGUMENT`
//! before any agent code runs.
//!
//! A sealed metadata is `MAGIC` (4 bytes), the key id (the first 8 bytes of
//! the SHA-256 of the key), the tag (32 bytes), then the agent's own bytes.
//! The tag covers the task category and those bytes, so a metadata is only
//! accepted by the agent that made it. Sealing is deterministic (the same
//! bytes seal the same way), so the idempotency guard and every replica
//! sharing the key agree. Keys given as previous ones open what they sealed,
//! for rotation, and seal nothing.

use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{AgentError, TaskCategory};

/// What a sealed metadata starts with.
const MAGIC: &[u8; 4] = b"FAS1";

/// The bytes of a key id.
const KEY_ID_LEN: usize = 8;

/// The bytes of a tag.
const TAG_LEN: usize = 32;

/// The bytes before the agent's own.
const HEADER_LEN: usize = MAGIC.len() + KEY_ID_LEN + TAG_LEN;

/// The fewest bytes a key may have.
pub const MIN_KEY_BYTES: usize = 32;

/// A sealing key. Its `Debug` shows the key id, never the key.
#[derive(Clone)]
pub struct SealKey {
    id: [u8; KEY_ID_LEN],
    mac: Hmac<Sha256>,
}

impl SealKey {
    /// A key from its bytes, of which there must be [`MIN_KEY_BYTES`] at least.
    pub fn new(bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(SealError::Short {
                origin: "the key".into(),
                bytes: bytes.len(),
            });
        }
        let digest = Sha256::digest(bytes);
        let mut id = [0; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        let mac = Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| SealError::Short {
            origin: "the key".into(),
            bytes: bytes.len(),
        })?;
        Ok(SealKey { id, mac })
    }

    /// A key read from `path`; whitespace around it (a final newline) is
    /// not part of it.
    pub fn from_file(path: &Path) -> Result<Self, SealError> {
        let bytes = std::fs::read(path).map_err(|source| SealError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::new(bytes.trim_ascii()).map_err(|error| error.with_origin(path.display()))
    }

    /// A key from the text of an environment variable, without the
    /// whitespace around it.
    pub fn from_text(text: &str, origin: &str) -> Result<Self, SealError> {
        Self::new(text.trim().as_bytes()).map_err(|error| error.with_origin(origin))
    }

    /// The key id as written in sealed metadata, in hex.
    pub fn id(&self) -> String {
        hex(&self.id)
    }

    /// The tag of `payload` for `category`.
    fn tag(&self, category: &TaskCategory, payload: &[u8]) -> [u8; TAG_LEN] {
        self.prepared(category, payload)
            .finalize()
            .into_bytes()
            .into()
    }

    /// The MAC over `category` and `payload`, ready to finish or verify.
    fn prepared(&self, category: &TaskCategory, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        let name = category.name.as_bytes();
        mac.update(&(name.len() as u64).to_be_bytes());
        mac.update(name);
        mac.update(&category.version.to_be_bytes());
        mac.update(payload);
        mac
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealKey")
            .field("id", &self.id())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Seals metadata with one key and opens what it or a previous key sealed.
#[derive(Debug, Clone)]
pub struct Seal {
    current: SealKey,
    previous: Vec<SealKey>,
}

impl Seal {
    /// Seals with `current`.
    pub fn new(current: SealKey) -> Self {
        Seal {
            current,
            previous: Vec::new(),
        }
    }

    /// Also opens metadata sealed with `previous` (keys rotated out).
    pub fn previous(mut self, previous: impl IntoIterator<Item = SealKey>) -> Self {
        self.previous.extend(previous);
        self
    }

    /// `payload`, sealed for `category` with the current key.
    pub fn seal(&self, category: &TaskCategory, payload: &[u8]) -> Vec<u8> {
        let mut sealed = Vec::with_capacity(HEADER_LEN + payload.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&self.current.id);
        sealed.extend_from_slice(&self.current.tag(category, payload));
        sealed.extend_from_slice(payload);
        sealed
    }

    /// The agent's bytes of `sealed`, once its tag proves that this server
    /// (with the current or a previous key) sealed them for `category`.
    ///
    /// Fails with `INVALID_ARGUMENT`, saying what to fix, when `sealed` is
    /// not sealed, cut short, sealed with an unknown key, or changed.
    pub fn open<'a>(
        &self,
        category: &TaskCategory,
        sealed: &'a [u8],
    ) -> Result<&'a [u8], AgentError> {
        if !sealed.starts_with(MAGIC) {
            return Err(AgentError::invalid_argument(
                "resource_meta is not sealed, but this server seals the metadata it hands out \
                 (--seal-key-file): send the resource_meta that CreateTask answered, unchanged",
            ));
        }
        if sealed.len() < HEADER_LEN {
            return Err(AgentError::invalid_argument(format!(
                "resource_meta is cut short: {} bytes, where a sealed metadata has {HEADER_LEN} \
                 at least; send the whole resource_meta that CreateTask answered",
                sealed.len()
            )));
        }
        let (id, rest) = sealed[MAGIC.len()..].split_at(KEY_ID_LEN);
        let (tag, payload) = rest.split_at(TAG_LEN);
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == id)
            .ok_or_else(|| {
                AgentError::invalid_argument(format!(
                    "resource_meta was sealed with a key this server does not hold (key id {}): \
                     when the key was rotated, pass the old one with --seal-previous-key-file",
                    hex(id)
                ))
            })?;
        key.prepared(category, payload)
            .verify_slice(tag)
            .map_err(|_| {
                AgentError::invalid_argument(format!(
                    "resource_meta failed its integrity check: it was changed after CreateTask \
                     answered it, or it was made for another task type than {category}; send \
                     it unchanged, with the task category it was created for"
                ))
            })?;
        Ok(payload)
    }
}

/// Why a sealing key could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// A key file could not be read.
    #[error("cannot read the seal key file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The keys given do not make a configuration.
    #[error("{0}")]
    Config(String),
    /// A key is too short to be safe.
    #[error(
        "{origin} holds a seal key of {bytes} bytes, where {MIN_KEY_BYTES} are needed at least: \
         write one with `openssl rand -base64 48`"
    )]
    Short {
        /// Where the key came from.
        origin: String,
        /// Its length.
        bytes: usize,
    },
}

impl SealError {
    /// The error, naming `origin` as where the key came from.
    fn with_origin(self, origin: impl fmt::Display) -> Self {
        match self {
            SealError::Short { bytes, .. } => SealError::Short {
                origin: origin.to_string(),
                bytes,
            },
            other => other,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef-current";
    const OLD_KEY: &[u8] = b"0123456789abcdef0123456789abcdef-previous";

    fn seal(key: &[u8]) -> Seal {
        Seal::new(SealKey::new(key).unwrap())
    }

    fn category() -> TaskCategory {
        TaskCategory::new("bigquery", 0)
    }

    #[test]
    fn sealed_metadata_opens_to_the_same_bytes_and_seals_the_same_way() {
        let seal = seal(KEY);
        let sealed = seal.seal(&category(), br#"{"job":"j1"}"#);
        assert_eq!(sealed.len(), HEADER_LEN + 12);
        assert!(sealed.starts_with(MAGIC));
        assert_eq!(seal.seal(&category(), br#"{"job":"j1"}"#), sealed);
        assert_eq!(seal.open(&category(), &sealed).unwrap(), br#"{"job":"j1"}"#);
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let seal = seal(KEY);
        let sealed = seal.seal(&category(), b"payload");
        for index in 0..sealed.len() {
            let mut changed = sealed.clone();
            changed[index] ^= 0x01;
            let error = seal.open(&category(), &changed).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "byte {index}");
        }
    }

    #[test]
    fn each_refusal_says_what_to_fix() {
        let seal = seal(KEY);
        let sealed = seal.seal(&category(), b"payload");
        let message = |bytes: &[u8]| seal.open(&category(), bytes).unwrap_err().to_string();
        assert!(message(b"{\"job\":1}").contains("not sealed"));
        assert!(message(&sealed[..20]).contains("cut short"));
        let foreign = self::seal(OLD_KEY).seal(&category(), b"payload");
        assert!(message(&foreign).contains("--seal-previous-key-file"));
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() = b'X';
        assert!(message(&changed).contains("integrity check"));
        let other = seal.open(&TaskCategory::new("bigquery", 1), &sealed);
        assert!(other.unwrap_err().to_string().contains("integrity check"));
    }

    #[test]
    fn a_previous_key_opens_what_it_sealed_and_seals_nothing() {
        let old = seal(OLD_KEY).seal(&category(), b"old job");
        let rotated = seal(KEY).previous([SealKey::new(OLD_KEY).unwrap()]);
        assert_eq!(rotated.open(&category(), &old).unwrap(), b"old job");
        let new = rotated.seal(&category(), b"old job");
        assert_ne!(new, old);
        assert!(seal(OLD_KEY).open(&category(), &new).is_err());
    }

    #[test]
    fn keys_are_read_from_files_and_text_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seal.key");
        std::fs::write(&path, [KEY, b"\n"].concat()).unwrap();
        let from_file = SealKey::from_file(&path).unwrap();
        let from_text = SealKey::from_text(std::str::from_utf8(KEY).unwrap(), "env").unwrap();
        assert_eq!(from_file.id(), from_text.id());
        let shown = format!("{from_file:?} {:?}", Seal::new(from_text));
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");

        std::fs::write(&path, "short\n").unwrap();
        let error = SealKey::from_file(&path).unwrap_err().to_string();
        assert!(
            error.contains("seal.key") && error.contains("5 bytes"),
            "{error}"
        );
        let missing = SealKey::from_file(&dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("nope"), "{missing}");
    }
}
