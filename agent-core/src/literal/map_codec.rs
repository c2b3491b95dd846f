//! A literal map measured and encoded without prost's comparison of every
//! literal with an empty one.
//!
//! prost measures a `map<string, Literal>` entry by comparing its literal with
//! `Literal::default()`, an entry whose value is the default being written
//! without it. That comparison compares two empty `hash` strings, a
//! zero-length `bcmp`, which glibc's AVX-512 string functions answer with a
//! masked load that some CPUs (the AMD EPYC our benchmarks run on) take
//! 100 to 300 ns over, against 3 ns for a byte. The server measures the
//! inputs of every create and sync run and the outputs of every answer, and
//! keeps the outputs of a sync run for its guard; these ask the same of each
//! literal by its fields. The bytes are prost's, as the tests check.

use prost::encoding::{
    WireType, encode_key, encode_varint, encoded_len_varint, key_len, message, string,
};

use crate::proto::flyteidl::core::{Literal, LiteralMap};

/// The encoded length of `map`, as [`prost::Message::encoded_len`] measures
/// it.
pub(crate) fn map_encoded_len(map: &LiteralMap) -> usize {
    let LiteralMap { literals } = map;
    literals
        .iter()
        .map(|(name, literal)| delimited_len(1, entry_len(name, literal)))
        .sum()
}

/// `map` encoded onto the end of `bytes`, as [`prost::Message::encode`]
/// encodes it.
pub(crate) fn encode_map(map: &LiteralMap, bytes: &mut Vec<u8>) {
    for (name, literal) in &map.literals {
        encode_key(1, WireType::LengthDelimited, bytes);
        encode_varint(entry_len(name, literal) as u64, bytes);
        if !name.is_empty() {
            string::encode(1, name, bytes);
        }
        if !is_empty(literal) {
            message::encode(2, literal, bytes);
        }
    }
}

/// The length of a map entry: its name (field 1) and its literal (field 2),
/// each left out when empty.
fn entry_len(name: &str, literal: &Literal) -> usize {
    let name_len = if name.is_empty() {
        0
    } else {
        delimited_len(1, name.len())
    };
    let literal_len = if is_empty(literal) {
        0
    } else {
        message::encoded_len(2, literal)
    };
    name_len + literal_len
}

/// The length of a length-delimited field `tag` of `len` bytes.
fn delimited_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// Whether `literal` is `Literal::default()`, each field asked whether it is
/// empty.
fn is_empty(literal: &Literal) -> bool {
    let Literal {
        hash,
        metadata,
        value,
    } = literal;
    hash.is_empty() && metadata.is_empty() && value.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::properties::any_literal;
    use proptest::collection::btree_map;
    use proptest::prelude::*;
    use prost::Message;

    /// Any literal, with a hash and metadata or without.
    fn any_hashed_literal() -> impl Strategy<Value = Literal> {
        (
            any_literal(),
            prop_oneof![Just(String::new()), ".{1,4}"],
            btree_map(".{0,3}", ".{0,3}", 0..2),
        )
            .prop_map(|(literal, hash, metadata)| Literal {
                hash,
                metadata,
                ..literal
            })
    }

    fn encoded(map: &LiteralMap) -> Vec<u8> {
        let mut bytes = b"before".to_vec();
        encode_map(map, &mut bytes);
        bytes.split_off(b"before".len())
    }

    proptest! {
        #[test]
        fn measures_and_encodes_as_prost_does(
            literals in btree_map(".{0,3}", any_hashed_literal(), 0..5),
        ) {
            let map = LiteralMap { literals: literals.into_iter().collect() };
            prop_assert_eq!(map_encoded_len(&map), map.encoded_len());
            prop_assert_eq!(encoded(&map), map.encode_to_vec());
        }
    }

    #[test]
    fn empty_names_and_literals_are_left_out_as_prost_leaves_them() {
        let map = LiteralMap {
            literals: [
                (String::new(), Literal::default()),
                ("x".to_owned(), Literal::default()),
                ("long".repeat(40), Literal::default()),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(map_encoded_len(&map), map.encoded_len());
        assert_eq!(encoded(&map), map.encode_to_vec());
    }
}
