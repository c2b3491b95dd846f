//! [`AnswerLog`]: the answers a [`MemoryGuardStore`](super::MemoryGuardStore)
//! keeps, with their keys, in the order they completed, oldest first.
//!
//! Keys and answers are copied into segments of [`SEGMENT_BYTES`] that the
//! log owns, not into an allocation each: a store filling with answers then
//! takes whole segments from the heap, and leaves the small blocks that
//! requests allocate and free to the requests. (Kept one by one, each
//! answer would hold on to one of those blocks, and the heap would serve
//! the requests from ever smaller leftovers.) A segment goes once the last
//! record in it has left the front of the log.

use std::collections::VecDeque;

use tokio::time::Instant;

/// The bytes of one segment.
const SEGMENT_BYTES: usize = 64 * 1024;

/// The largest record that shares a segment; a larger one has a segment of
/// its own, of its size, so that the end of a segment too short for the
/// next record wastes at most this much.
const LARGEST_SHARED_RECORD: usize = SEGMENT_BYTES / 4;

/// A record's number, counted from the log's first record ever: unique,
/// and all a store's slot keeps of its answer (the record says where the
/// answer is and when it expires), so that the slots stay small.
pub(super) type RecordNumber = u64;

/// Where a record's key and answer are, in an [`AnswerLog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RecordAt {
    /// The segment's number, counted from the log's first segment ever.
    segment: u64,
    /// Where in the segment the key starts, the answer right after it.
    start: usize,
    key_len: usize,
    answer_len: usize,
}

/// A record of the log: its number, where it is, its key's hash and when
/// it expires.
#[derive(Debug, Clone, Copy)]
pub(super) struct Record {
    /// Its number.
    pub(super) number: RecordNumber,
    /// Where its key and answer are.
    at: RecordAt,
    /// Its key's hash, to find its slot by.
    pub(super) hash: u64,
    /// When its answer may no longer be given.
    pub(super) expires: Instant,
}

/// Keys and answers in completion order; see the module's doc.
pub(super) struct AnswerLog {
    /// The segments the records are in, the oldest first.
    segments: VecDeque<Vec<u8>>,
    /// The number of `segments[0]`.
    first_segment: u64,
    /// The records, the oldest first.
    records: VecDeque<Record>,
    /// How many records were ever pushed: the next one's number.
    pushed: u64,
    /// The bytes of the answers of `records`.
    answer_bytes: usize,
    /// An emptied segment, kept for the next one needed.
    spare: Option<Vec<u8>>,
}

impl AnswerLog {
    /// An empty log with room for `records` records before it grows.
    pub(super) fn with_room_for(records: usize) -> Self {
        // One more than asked: a completion pushes its record before the
        // oldest leaves.
        let records = records.saturating_add(1);
        AnswerLog {
            segments: VecDeque::new(),
            first_segment: 0,
            records: VecDeque::with_capacity(records),
            pushed: 0,
            answer_bytes: 0,
            spare: None,
        }
    }

    /// Appends `key` and `answer` as the newest record, and answers its
    /// number.
    pub(super) fn push(
        &mut self,
        key: &str,
        answer: &[u8],
        hash: u64,
        expires: Instant,
    ) -> RecordNumber {
        let len = key.len() + answer.len();
        if len > LARGEST_SHARED_RECORD {
            self.segments.push_back(Vec::with_capacity(len));
        } else if self
            .segments
            .back()
            .is_none_or(|last| last.capacity() - last.len() < len)
        {
            let segment = self
                .spare
                .take()
                .unwrap_or_else(|| Vec::with_capacity(SEGMENT_BYTES));
            self.segments.push_back(segment);
        }
        let segment = self.segments.len() - 1;
        let bytes = &mut self.segments[segment];
        let at = RecordAt {
            segment: self.first_segment + segment as u64,
            start: bytes.len(),
            key_len: key.len(),
            answer_len: answer.len(),
        };
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(answer);
        let number = self.pushed;
        self.records.push_back(Record {
            number,
            at,
            hash,
            expires,
        });
        self.pushed += 1;
        self.answer_bytes += answer.len();
        number
    }

    /// The record numbered `number`, which must be in the log.
    fn record(&self, number: RecordNumber) -> &Record {
        let first = self.pushed - self.records.len() as u64;
        &self.records[(number - first) as usize]
    }

    /// The key of the record numbered `number`.
    pub(super) fn key(&self, number: RecordNumber) -> &[u8] {
        let at = self.record(number).at;
        &self.bytes(at)[..at.key_len]
    }

    /// The answer of the record numbered `number`.
    pub(super) fn answer(&self, number: RecordNumber) -> &[u8] {
        let at = self.record(number).at;
        &self.bytes(at)[at.key_len..]
    }

    /// When the answer of the record numbered `number` expires.
    pub(super) fn expires(&self, number: RecordNumber) -> Instant {
        self.record(number).expires
    }

    /// The key and answer of the record at `at`, one after the other.
    fn bytes(&self, at: RecordAt) -> &[u8] {
        let segment = &self.segments[(at.segment - self.first_segment) as usize];
        &segment[at.start..at.start + at.key_len + at.answer_len]
    }

    /// The oldest record.
    pub(super) fn front(&self) -> Option<Record> {
        self.records.front().copied()
    }

    /// How many records the log holds, whether or not a slot still answers
    /// with them.
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    /// The bytes of the answers the log holds, whether or not a slot still
    /// answers with them.
    pub(super) fn answer_bytes(&self) -> usize {
        self.answer_bytes
    }

    /// Drops the oldest record, and the segments no record is in any more.
    pub(super) fn pop_front(&mut self) {
        let Some(oldest) = self.records.pop_front() else {
            return;
        };
        self.answer_bytes -= oldest.at.answer_len;
        let first_in_use = match self.records.front() {
            Some(next) => next.at.segment,
            None => self.first_segment + self.segments.len() as u64,
        };
        while self.first_segment < first_in_use {
            let Some(mut emptied) = self.segments.pop_front() else {
                break;
            };
            self.first_segment += 1;
            if emptied.capacity() == SEGMENT_BYTES {
                emptied.clear();
                self.spare = Some(emptied);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_across_segments() {
        let mut log = AnswerLog::with_room_for(0);
        let now = Instant::now();
        let big = vec![7; SEGMENT_BYTES + 1];
        let written: Vec<_> = (0..2_000)
            .map(|i| {
                let key = format!("key-{i}");
                let answer = if i == 500 {
                    big.clone()
                } else {
                    vec![i as u8; i % 90]
                };
                (log.push(&key, &answer, i as u64, now), key, answer)
            })
            .collect();
        assert!(log.segments.len() > 2, "the records span several segments");
        for (at, key, answer) in &written {
            assert_eq!(log.key(*at), key.as_bytes());
            assert_eq!(log.answer(*at), answer.as_slice());
        }
        let answer_bytes: usize = written.iter().map(|(_, _, answer)| answer.len()).sum();
        assert_eq!((log.len(), log.answer_bytes()), (2_000, answer_bytes));
    }

    #[test]
    fn empty_records_are_told_apart() {
        let mut log = AnswerLog::with_room_for(0);
        let now = Instant::now();
        let first = log.push("", b"", 0, now);
        let second = log.push("", b"", 0, now);
        assert_ne!(first, second);
        assert_eq!(log.answer(second), b"");
    }

    #[test]
    fn large_records_have_a_segment_of_their_own() {
        let mut log = AnswerLog::with_room_for(0);
        let now = Instant::now();
        log.push("small", b"x", 0, now);
        let large = vec![1; LARGEST_SHARED_RECORD + 1];
        let at = log.push("large", &large, 1, now);
        log.push("small again", b"y", 2, now);
        assert_eq!(log.segments.len(), 3);
        assert_eq!(log.segments[1].capacity(), "large".len() + large.len());
        assert_eq!(log.answer(at), large.as_slice());
    }

    #[test]
    fn segments_go_once_their_last_record_has_left() {
        let mut log = AnswerLog::with_room_for(0);
        let now = Instant::now();
        let answer = vec![0; 1000];
        let written: Vec<_> = (0..200).map(|i| log.push("k", &answer, i, now)).collect();
        let segments = log.segments.len();
        assert!(segments >= 3);
        while log.front().is_some_and(|front| front.at.segment == 0) {
            log.pop_front();
        }
        assert_eq!(log.segments.len(), segments - 1);
        assert_eq!(
            log.front().unwrap().hash,
            65,
            "65 records of 1,001 bytes fit a segment"
        );
        assert_eq!(log.answer(written[199]), answer.as_slice());
        while log.front().is_some() {
            log.pop_front();
        }
        assert_eq!(
            (log.len(), log.answer_bytes(), log.segments.len()),
            (0, 0, 0)
        );
        assert!(log.spare.is_some(), "an emptied segment is kept for reuse");
        let at = log.push("again", b"x", 0, now);
        assert_eq!(log.answer(at), b"x");
    }
}
