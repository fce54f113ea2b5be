//! The bytes a fingerprint hashes, shared by the tree
//! ([`Node::fingerprint`](super::Node::fingerprint)) and the stream
//! ([`fingerprint_text`](super::fingerprint_text)) so both give the same value. A node's
//! own bytes (tag, kind, length) are laid out in one scratch buffer above its parent's,
//! hashed in one go and taken off again: a streaming hasher per node, with its large state,
//! cost more than the hashing. Children are folded in as they come (a map's entries summed,
//! a sequence's items chained), so a skipped collection of a million items costs no memory
//! per item.

use super::{resolve_plain, Resolved, ScalarStyle};
use xxhash_rust::xxh3::xxh3_128;

pub fn scalar(scratch: &mut Vec<u8>, tag: Option<&str>, value: &str, style: ScalarStyle) -> u128 {
    let start = push_tag(scratch, tag);
    let resolved = if style == ScalarStyle::Plain {
        resolve_plain(value)
    } else {
        Resolved::Str(value)
    };
    match resolved {
        Resolved::Null => scratch.push(b'n'),
        Resolved::Bool(value) => scratch.extend([b'b', u8::from(value)]),
        Resolved::Int(value) => {
            scratch.push(b'i');
            scratch.extend(value.to_le_bytes());
        }
        Resolved::Float(text) => {
            scratch.push(b'f');
            push_text(scratch, &text);
        }
        Resolved::Str(text) => {
            scratch.push(b's');
            push_text(scratch, text);
        }
    }
    hash_from(scratch, start)
}

/// Starts a collection (`kind` is `[` or `{`); returns where its bytes start.
pub fn open(scratch: &mut Vec<u8>, tag: Option<&str>, kind: u8) -> usize {
    let start = push_tag(scratch, tag);
    scratch.push(kind);
    start
}

/// Chains an item onto its sequence's items so far: in order, and in constant memory
/// however long the sequence.
pub fn seq_item(chain: &mut u128, item: u128) {
    let mut pair = [0; 32];
    pair[..16].copy_from_slice(&chain.to_le_bytes());
    pair[16..].copy_from_slice(&item.to_le_bytes());
    *chain = xxh3_128(&pair);
}

pub fn close_seq(scratch: &mut Vec<u8>, start: usize, len: usize, chain: u128) -> u128 {
    scratch.extend((len as u64).to_le_bytes());
    scratch.extend(chain.to_le_bytes());
    hash_from(scratch, start)
}

/// One entry's share of its map's fingerprint. The map adds the shares up, so the same
/// entries in any order give the same sum.
pub fn entry(scratch: &mut Vec<u8>, key: &str, value: u128) -> u128 {
    let start = scratch.len();
    push_text(scratch, key);
    scratch.extend(value.to_le_bytes());
    hash_from(scratch, start)
}

pub fn close_map(scratch: &mut Vec<u8>, start: usize, len: usize, sum: u128) -> u128 {
    scratch.extend((len as u64).to_le_bytes());
    scratch.extend(sum.to_le_bytes());
    hash_from(scratch, start)
}

fn push_tag(scratch: &mut Vec<u8>, tag: Option<&str>) -> usize {
    let start = scratch.len();
    match tag {
        Some(tag) => {
            scratch.push(1);
            push_text(scratch, tag);
        }
        None => scratch.push(0),
    }
    start
}

fn hash_from(scratch: &mut Vec<u8>, start: usize) -> u128 {
    let hash = xxh3_128(&scratch[start..]);
    scratch.truncate(start);
    hash
}

/// Text with its length first, so that no two sequences of texts hash alike by running
/// into each other.
fn push_text(scratch: &mut Vec<u8>, text: &str) {
    scratch.extend((text.len() as u64).to_le_bytes());
    scratch.extend_from_slice(text.as_bytes());
}
