//! Inputs that were offloaded: a `Literal` whose value is
//! `offloaded_metadata` holds, instead of its value, the URI of a serialized
//! `flyteidl.core.Literal`. They are read from there, at any depth (in
//! collections, maps and unions too), before the agent sees the task.

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt, stream};
use prost::Message;

use crate::proto::flyteidl::core::{Literal, LiteralMap, literal, scalar};
use crate::storage::Storage;
use crate::{AgentError, TaskContext};

/// How many literals of one collection or map are read at once.
const CONCURRENT_READS: usize = 8;

/// How many offloaded literals in a row one input may point through: an
/// offloaded literal holds its value, so one is the norm.
const MAX_HOPS: usize = 4;

/// `task`, with every offloaded literal of its inputs read from its URI.
///
/// Fails with `INVALID_ARGUMENT`, naming the input and the URI, when one
/// cannot be read or does not hold a literal.
pub(super) async fn read_offloaded(
    storage: &Storage,
    mut task: Box<TaskContext>,
) -> Result<Box<TaskContext>, AgentError> {
    if !task.inputs.literals.values().any(holds_offloaded) {
        return Ok(task);
    }
    let entries = std::mem::take(&mut task.inputs.literals);
    let read = entries.into_iter().map(|(name, literal)| async move {
        let literal = read_literal(storage, literal, name.clone(), 0).await?;
        Ok::<_, AgentError>((name, literal))
    });
    task.inputs.literals = stream::iter(read)
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    Ok(task)
}

/// Whether `literal` is, or holds, an offloaded literal.
fn holds_offloaded(literal: &Literal) -> bool {
    match &literal.value {
        Some(literal::Value::OffloadedMetadata(_)) => true,
        Some(literal::Value::Collection(collection)) => {
            collection.literals.iter().any(holds_offloaded)
        }
        Some(literal::Value::Map(map)) => map.literals.values().any(holds_offloaded),
        Some(literal::Value::Scalar(s)) => match &s.value {
            Some(scalar::Value::Union(union)) => {
                union.value.as_deref().is_some_and(holds_offloaded)
            }
            _ => false,
        },
        None => false,
    }
}

/// `literal` with its offloaded parts read; `path` names it in errors
/// (`x`, `x[2]["key"]`), `hops` counts the offloaded literals followed to
/// reach it.
fn read_literal(
    storage: &Storage,
    mut literal: Literal,
    path: String,
    hops: usize,
) -> BoxFuture<'_, Result<Literal, AgentError>> {
    async move {
        if !holds_offloaded(&literal) {
            return Ok(literal);
        }
        match literal.value.take() {
            Some(literal::Value::OffloadedMetadata(offloaded)) => {
                let uri = offloaded.uri;
                if hops == MAX_HOPS {
                    return Err(AgentError::invalid_argument(format!(
                        "input {path}: the offloaded literal at {uri} points to another \
                         offloaded literal, {MAX_HOPS} deep; offload the value itself"
                    )));
                }
                let bytes = storage.read(&uri).await.map_err(|error| {
                    AgentError::invalid_argument(format!(
                        "input {path}: cannot read its offloaded literal: {error}"
                    ))
                })?;
                // Some bytes that are no literal (none at all, say) decode
                // as one with no value, which no offloaded input is.
                let fetched = Literal::decode(bytes)
                    .map_err(|error| error.to_string())
                    .and_then(|fetched| match fetched.value {
                        Some(_) => Ok(fetched),
                        None => Err("it holds no value".to_string()),
                    })
                    .map_err(|error| {
                        AgentError::invalid_argument(format!(
                            "input {path}: {uri} does not hold a serialized \
                             flyteidl.core.Literal: {error}"
                        ))
                    })?;
                read_literal(storage, fetched, path, hops + 1).await
            }
            Some(literal::Value::Collection(mut collection)) => {
                let items = std::mem::take(&mut collection.literals);
                let read = items.into_iter().enumerate().map(|(index, item)| {
                    read_literal(storage, item, format!("{path}[{index}]"), hops)
                });
                collection.literals = stream::iter(read)
                    .buffered(CONCURRENT_READS)
                    .try_collect()
                    .await?;
                literal.value = Some(literal::Value::Collection(collection));
                Ok(literal)
            }
            Some(literal::Value::Map(map)) => {
                let read = map.literals.into_iter().map(|(key, item)| {
                    let path = format!("{path}[{key:?}]");
                    async move {
                        Ok::<_, AgentError>((key, read_literal(storage, item, path, hops).await?))
                    }
                });
                let literals = stream::iter(read)
                    .buffered(CONCURRENT_READS)
                    .try_collect()
                    .await?;
                literal.value = Some(literal::Value::Map(LiteralMap { literals }));
                Ok(literal)
            }
            Some(literal::Value::Scalar(mut s)) => {
                if let Some(scalar::Value::Union(union)) = &mut s.value
                    && let Some(inner) = union.value.take()
                {
                    union.value = Some(Box::new(read_literal(storage, *inner, path, hops).await?));
                }
                literal.value = Some(literal::Value::Scalar(s));
                Ok(literal)
            }
            None => Ok(literal),
        }
    }
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::literal::{FromLiteral, IntoLiteral, LiteralMapBuilder};
    use crate::proto::flyteidl::core::{
        LiteralCollection, LiteralOffloadedMetadata, Scalar, Union,
    };

    fn offloaded(uri: &str) -> Literal {
        Literal {
            value: Some(literal::Value::OffloadedMetadata(
                LiteralOffloadedMetadata {
                    uri: uri.to_owned(),
                    size_bytes: 0,
                    inferred_type: None,
                },
            )),
            ..Default::default()
        }
    }

    fn union_of(inner: Literal) -> Literal {
        Literal {
            value: Some(literal::Value::Scalar(Box::new(Scalar {
                value: Some(scalar::Value::Union(Box::new(Union {
                    value: Some(Box::new(inner)),
                    r#type: None,
                }))),
            }))),
            ..Default::default()
        }
    }

    fn task(inputs: LiteralMap) -> Box<TaskContext> {
        Box::new(TaskContext::default().with_inputs(inputs))
    }

    /// Writes `literal` to `name` in `dir` and answers its path.
    fn stored(dir: &std::path::Path, name: &str, literal: Literal) -> String {
        let path = dir.join(name);
        std::fs::write(&path, literal.encode_to_vec()).unwrap();
        path.display().to_string()
    }

    /// The error reading a task whose one input, `name`, is `input`: an
    /// `INVALID_ARGUMENT`.
    async fn refused(name: &str, input: Literal) -> AgentError {
        let inputs = LiteralMapBuilder::new().with(name, input).build().unwrap();
        let error = read_offloaded(&Storage::default(), task(inputs))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
        error
    }

    #[tokio::test]
    async fn offloaded_inputs_are_read_at_every_depth() {
        let dir = tempfile::tempdir().unwrap();
        let big = stored(
            dir.path(),
            "big.pb",
            vec![1i64, 2, 3].into_literal().unwrap(),
        );
        let seven = stored(dir.path(), "seven.pb", 7i64.into_literal().unwrap());
        let nested = Literal {
            value: Some(literal::Value::Collection(LiteralCollection {
                literals: vec![offloaded(&seven), 8i64.into_literal().unwrap()],
            })),
            ..Default::default()
        };
        let map = LiteralMap {
            literals: [("k".to_owned(), union_of(offloaded(&seven)))].into(),
        };
        let inputs = LiteralMapBuilder::new()
            .with("big", offloaded(&big))
            .with("nested", nested)
            .with("map", map)
            .with("plain", 5i64)
            .build()
            .unwrap();
        let read = read_offloaded(&Storage::default(), task(inputs))
            .await
            .unwrap();
        let input = |name: &str| &read.inputs.literals[name];
        assert_eq!(Vec::<i64>::from_literal(input("big")).unwrap(), [1, 2, 3]);
        assert_eq!(Vec::<i64>::from_literal(input("nested")).unwrap(), [7, 8]);
        assert_eq!(
            std::collections::BTreeMap::<String, i64>::from_literal(input("map")).unwrap(),
            [("k".to_owned(), 7)].into()
        );
        assert_eq!(i64::from_literal(input("plain")).unwrap(), 5);
    }

    #[tokio::test]
    async fn inputs_without_offloads_are_left_as_they_are() {
        let inputs = LiteralMapBuilder::new().with("x", 1).build().unwrap();
        let read = read_offloaded(&Storage::default(), task(inputs.clone()))
            .await
            .unwrap();
        assert_eq!(read.inputs, inputs);
    }

    #[tokio::test]
    async fn an_unreadable_offload_names_the_input_and_the_uri() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pb").display().to_string();
        let nested = Literal {
            value: Some(literal::Value::Collection(LiteralCollection {
                literals: vec![1i64.into_literal().unwrap(), offloaded(&missing)],
            })),
            ..Default::default()
        };
        let error = refused("xs", nested).await;
        assert!(error.message().starts_with("input xs[1]: "), "{error}");
        assert!(error.message().contains(&missing), "{error}");

        // Bytes that are no literal, and none at all (a literal with no value).
        for (name, bytes, why) in [
            ("garbage.pb", &b"\xff\xff"[..], "flyteidl.core.Literal"),
            ("empty.pb", b"", "holds no value"),
        ] {
            let file = dir.path().join(name);
            std::fs::write(&file, bytes).unwrap();
            let file = file.display().to_string();
            let error = refused("g", offloaded(&file)).await;
            assert!(error.message().contains(&file), "{error}");
            assert!(error.message().contains(why), "{error}");
        }
    }

    #[tokio::test]
    async fn offloads_pointing_to_themselves_stop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loop.pb").display().to_string();
        stored(dir.path(), "loop.pb", offloaded(&path));
        let error = refused("l", offloaded(&path)).await;
        assert!(error.message().contains("deep"), "{error}");
    }
}
