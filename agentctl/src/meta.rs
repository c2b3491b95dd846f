//! Resource metadata (`resource_meta`) as text: printed by `create`, read by
//! `get` and `delete`. Agents write JSON, so metadata that is plain UTF-8
//! text is shown as it is; other bytes are base64 after a visible prefix.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::CliError;

/// The prefix of metadata written as base64.
pub const BASE64_PREFIX: &str = "base64:";

/// `meta` as text: itself when it is UTF-8 with no control characters but
/// line breaks and tabs (and does not itself start with the prefix), else
/// [`BASE64_PREFIX`] and its base64.
pub fn to_text(meta: &[u8]) -> String {
    match std::str::from_utf8(meta) {
        Ok(text) if is_plain(text) => text.to_owned(),
        _ => format!("{BASE64_PREFIX}{}", BASE64.encode(meta)),
    }
}

/// Whether `text` reads as itself: no control characters but line breaks
/// and tabs, and not mistaken for base64.
fn is_plain(text: &str) -> bool {
    !text.starts_with(BASE64_PREFIX)
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The metadata bytes `text` stands for, as [`to_text`] wrote them.
pub fn from_text(text: &str) -> Result<Vec<u8>, CliError> {
    match text.strip_prefix(BASE64_PREFIX) {
        Some(encoded) => BASE64.decode(encoded.trim()).map_err(|e| {
            CliError::usage(format!(
                "--meta: what follows `{BASE64_PREFIX}` is not base64: {e}"
            ))
        }),
        None => Ok(text.as_bytes().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_metadata_is_shown_as_it_is() {
        let meta = br#"{"job_id":1,"x":3}"#;
        assert_eq!(to_text(meta), r#"{"job_id":1,"x":3}"#);
        assert_eq!(from_text(&to_text(meta)).unwrap(), meta);
    }

    #[test]
    fn other_bytes_round_trip_as_base64() {
        let meta = [0xff, 0x00, 0x01];
        assert_eq!(to_text(&meta), "base64:/wAB");
        assert_eq!(from_text("base64:/wAB").unwrap(), meta);
        // Protobuf that happens to be UTF-8 is not shown as text.
        let protobuf = b"\x08\x03\x12\x02ok";
        assert!(to_text(protobuf).starts_with("base64:"));
        assert_eq!(from_text(&to_text(protobuf)).unwrap(), protobuf);
        assert_eq!(to_text(b"{\n  \"a\": 1\n}"), "{\n  \"a\": 1\n}");
        // Text that looks like the prefix is encoded too, so it reads back.
        let tricky = b"base64:abc";
        assert_eq!(from_text(&to_text(tricky)).unwrap(), tricky);
        assert!(
            from_text("base64:@@")
                .unwrap_err()
                .to_string()
                .contains("not base64")
        );
    }
}
