//! Outputs too large to answer inline: written to `<output_prefix>/outputs.pb`
//! (a serialized `flyteidl.core.LiteralMap`), which Propeller reads when a
//! resource carries no outputs. Its gRPC client refuses answers over 4 MiB.

use std::future::Future;

use futures::{FutureExt, future};
use prost::Message;

use crate::literal::map_encoded_len;
use crate::resource::ResourceParts;
use crate::storage::{self, Storage};
use crate::{AgentError, TaskCategory};

/// The file Propeller reads the outputs from, under the output prefix.
const OUTPUTS_FILE: &str = "outputs.pb";

/// Where outputs over a size go, and that size.
#[derive(Debug)]
pub(super) struct LargeOutputs {
    /// Where they are written.
    pub(super) storage: Storage,
    /// The largest encoded outputs answered inline.
    pub(super) max_inline_bytes: usize,
}

impl LargeOutputs {
    /// `parts`, with its outputs written to `<output_prefix>/outputs.pb`
    /// and taken out when it is terminal and they encode to more than the
    /// inline limit. With no output prefix they stay inline, and a warning
    /// says so.
    ///
    /// Outputs within the limit (nearly every answer) are answered at once;
    /// only a write takes a future of its own.
    ///
    /// Fails with `INTERNAL`, naming the URI and the cause, when they cannot
    /// be written.
    pub(super) fn offload<'a>(
        &'a self,
        category: &'a TaskCategory,
        output_prefix: &'a str,
        parts: ResourceParts,
    ) -> impl Future<Output = Result<ResourceParts, AgentError>> + Send + 'a {
        match self.oversized(category, output_prefix, &parts) {
            None => future::ready(Ok(parts)).left_future(),
            Some(size) => self
                .write(category, output_prefix, size, parts)
                .boxed()
                .right_future(),
        }
    }

    /// The encoded size of `parts`' outputs when they are to be written: the
    /// resource is terminal, they are over the limit, and there is an output
    /// prefix to write them under.
    fn oversized(
        &self,
        category: &TaskCategory,
        output_prefix: &str,
        parts: &ResourceParts,
    ) -> Option<usize> {
        let size = match &parts.outputs {
            Some(outputs) if parts.phase.is_terminal() => map_encoded_len(outputs),
            _ => return None,
        };
        if size <= self.max_inline_bytes {
            return None;
        }
        if output_prefix.is_empty() {
            tracing::warn!(
                task_type = category.name,
                bytes = size,
                max_inline_bytes = self.max_inline_bytes,
                "outputs over the inline limit are sent inline: the request carried no \
                 output prefix to write them under"
            );
            return None;
        }
        Some(size)
    }

    /// Writes the outputs of `parts` (`size` bytes encoded) under
    /// `output_prefix`, and answers `parts` pointing at them.
    async fn write(
        &self,
        category: &TaskCategory,
        output_prefix: &str,
        size: usize,
        mut parts: ResourceParts,
    ) -> Result<ResourceParts, AgentError> {
        let uri = storage::join(output_prefix, OUTPUTS_FILE);
        let encoded = parts.outputs.take().unwrap_or_default().encode_to_vec();
        self.storage
            .write(&uri, encoded.into())
            .await
            .map_err(|error| {
                AgentError::internal(format!(
                    "the outputs ({size} bytes, over the inline limit of {} bytes) could not \
                     be written: {error}",
                    self.max_inline_bytes
                ))
            })?;
        tracing::info!(
            task_type = category.name,
            bytes = size,
            uri,
            "outputs written"
        );
        parts.outputs_uri = Some(uri);
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::LiteralMapBuilder;
    use crate::proto::flyteidl::core::LiteralMap;
    use crate::{ErrorKind, Phase};

    fn limit(max_inline_bytes: usize) -> LargeOutputs {
        LargeOutputs {
            storage: Storage::default(),
            max_inline_bytes,
        }
    }

    fn parts(phase: Phase, text_bytes: usize) -> ResourceParts {
        ResourceParts {
            phase,
            outputs: Some(
                LiteralMapBuilder::new()
                    .with("o0", "x".repeat(text_bytes))
                    .build()
                    .unwrap(),
            ),
            ..Default::default()
        }
    }

    fn category() -> TaskCategory {
        TaskCategory::new("t", 0)
    }

    #[tokio::test]
    async fn large_terminal_outputs_are_written_and_taken_out() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("run").display().to_string();
        let big = parts(Phase::Succeeded, 2000);
        let outputs = big.outputs.clone().unwrap();
        let answered = limit(1000)
            .offload(&category(), &prefix, big)
            .await
            .unwrap();
        assert_eq!(answered.outputs, None);
        let uri = format!("{prefix}/outputs.pb");
        assert_eq!(answered.outputs_uri.as_deref(), Some(uri.as_str()));
        let written = std::fs::read(&uri).unwrap();
        assert_eq!(LiteralMap::decode(written.as_slice()).unwrap(), outputs);
    }

    #[tokio::test]
    async fn small_running_or_unprefixed_outputs_stay_inline() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().display().to_string();
        for (parts, prefix) in [
            (parts(Phase::Succeeded, 10), prefix.as_str()),
            (parts(Phase::Running, 2000), prefix.as_str()),
            (parts(Phase::Succeeded, 2000), ""),
        ] {
            let kept = parts.clone();
            let answered = limit(1000)
                .offload(&category(), prefix, parts)
                .await
                .unwrap();
            assert_eq!(answered, kept);
        }
        assert!(!dir.path().join("outputs.pb").exists());
    }

    #[tokio::test]
    async fn a_failed_write_is_internal_and_names_the_uri() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the prefix directory should be.
        let blocker = dir.path().join("taken");
        std::fs::write(&blocker, b"").unwrap();
        let prefix = blocker.display().to_string();
        let error = limit(10)
            .offload(&category(), &prefix, parts(Phase::Succeeded, 100))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert!(
            error.message().contains(&format!("{prefix}/outputs.pb")),
            "{error}"
        );
    }
}
