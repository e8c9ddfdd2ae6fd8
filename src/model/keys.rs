//! Keys interned to dense ids for one poll: every stage after parsing works on
//! `KeyId`s (vectors and bitsets indexed by id) instead of hashing strings.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::Key;

/// A key's index in its `KeyTable`.
pub type KeyId = u32;

/// (exporter, interface) text pairs in one arena, numbered in the order they
/// were pushed: the key table's texts, and a parsed file's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    text: String,
    /// Per pair: where the exporter starts, where it ends (= where the
    /// interface starts), where the interface ends.
    spans: Vec<[u32; 3]>,
}

impl Pairs {
    pub fn with_capacity(pairs: usize, text: usize) -> Pairs {
        Pairs {
            text: String::with_capacity(text),
            spans: Vec::with_capacity(pairs),
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Appends a pair; returns its number.
    pub fn push(&mut self, exporter: &str, interface: &str) -> usize {
        let offset = |len: usize| u32::try_from(len).expect("key texts under 4 GiB");
        let start = offset(self.text.len());
        self.text.push_str(exporter);
        let mid = offset(self.text.len());
        self.text.push_str(interface);
        self.spans.push([start, mid, offset(self.text.len())]);
        self.spans.len() - 1
    }

    /// The `i`th pair.
    pub fn get(&self, i: usize) -> (&str, &str) {
        let [a, b, c] = self.spans[i];
        (
            &self.text[a as usize..b as usize],
            &self.text[b as usize..c as usize],
        )
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Exporter and interface texts, one id each, in one arena.
#[derive(Clone, Default)]
pub struct KeyTable {
    pairs: Pairs,
    /// Ids by hash, for the ids below `indexed`: keys added by `push_new`
    /// are indexed at the first look-up that needs them, so a poll whose
    /// files list their keys as the last time never hashes a key.
    index: HashTable<KeyId>,
    indexed: usize,
    hasher: foldhash::fast::FixedState,
}

impl std::fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len() as KeyId).map(|id| self.key(id)))
            .finish()
    }
}

impl KeyTable {
    pub fn with_capacity(keys: usize) -> KeyTable {
        KeyTable {
            pairs: Pairs::with_capacity(keys, keys * 16),
            index: HashTable::new(),
            indexed: 0,
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn hash(&self, exporter: &str, interface: &str) -> u64 {
        self.hasher.hash_one((exporter, interface))
    }

    fn parts(&self, id: KeyId) -> (&str, &str) {
        self.pairs.get(id as usize)
    }

    pub fn exporter(&self, id: KeyId) -> &str {
        self.parts(id).0
    }

    pub fn interface(&self, id: KeyId) -> &str {
        self.parts(id).1
    }

    /// The key as an owned value (for what leaves the poll: changes, alerts).
    pub fn key(&self, id: KeyId) -> Key {
        let (e, i) = self.parts(id);
        Key::new(e, i)
    }

    /// Whether `id` is this key: a comparison of texts, no hashing.
    pub fn is(&self, id: KeyId, exporter: &str, interface: &str) -> bool {
        (id as usize) < self.len() && self.parts(id) == (exporter, interface)
    }

    /// The id of an indexed key whose hash is `hash`.
    fn find(&self, hash: u64, exporter: &str, interface: &str) -> Option<KeyId> {
        self.index
            .find(hash, |&id| self.parts(id) == (exporter, interface))
            .copied()
    }

    /// The key's id, if it is in the table (keys not indexed yet are scanned).
    pub fn get(&self, exporter: &str, interface: &str) -> Option<KeyId> {
        self.find(self.hash(exporter, interface), exporter, interface)
            .or_else(|| {
                (self.indexed..self.len())
                    .map(|i| i as KeyId)
                    .find(|&id| self.is(id, exporter, interface))
            })
    }

    pub fn id(&self, key: &Key) -> Option<KeyId> {
        self.get(&key.exporter, &key.interface)
    }

    /// The key's id, adding it when it is new (ids are given out in order).
    pub fn intern(&mut self, exporter: &str, interface: &str) -> KeyId {
        self.index_all();
        if let Some(id) = self.find(self.hash(exporter, interface), exporter, interface) {
            return id;
        }
        let id = self.push_new(exporter, interface);
        self.index_all();
        id
    }

    /// Adds a key known not to be in the table yet (keys read from a source
    /// that keeps them unique: the caller's promise, not checked), without
    /// looking for it, and without indexing it until a look-up needs it.
    pub fn push_new(&mut self, exporter: &str, interface: &str) -> KeyId {
        KeyId::try_from(self.pairs.push(exporter, interface)).expect("fewer than 2^32 keys")
    }

    /// Indexes the keys added since the last look-up (by `push_new`, or by
    /// `intern` itself).
    fn index_all(&mut self) {
        // The index grows without `self`: rehashing reads the texts directly.
        let (pairs, hasher) = (&self.pairs, &self.hasher);
        let rehash = |&other: &KeyId| hasher.hash_one(pairs.get(other as usize));
        self.index.reserve(pairs.len() - self.indexed, rehash);
        for id in self.indexed..pairs.len() {
            self.index
                .insert_unique(hasher.hash_one(pairs.get(id)), id as KeyId, rehash);
        }
        self.indexed = pairs.len();
    }

    pub fn intern_key(&mut self, key: &Key) -> KeyId {
        self.intern(&key.exporter, &key.interface)
    }
}

/// A set of key ids: a collector's listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySet {
    words: Vec<u64>,
    len: usize,
}

impl KeySet {
    /// Adds `id`; false when it was already there.
    pub fn insert(&mut self, id: KeyId) -> bool {
        let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let new = self.words[w] & bit == 0;
        self.words[w] |= bit;
        self.len += usize::from(new);
        new
    }

    pub fn contains(&self, id: KeyId) -> bool {
        self.words
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = KeyId> + '_ {
        bits(self.words.iter().copied())
    }
}

impl FromIterator<KeyId> for KeySet {
    fn from_iter<T: IntoIterator<Item = KeyId>>(ids: T) -> Self {
        let mut set = KeySet::default();
        for id in ids {
            set.insert(id);
        }
        set
    }
}

/// The positions of the set bits of a sequence of words.
fn bits(words: impl Iterator<Item = u64>) -> impl Iterator<Item = KeyId> {
    words.enumerate().flat_map(|(i, mut w)| {
        std::iter::from_fn(move || {
            (w != 0).then(|| {
                let bit = w.trailing_zeros();
                w &= w - 1;
                i as KeyId * 64 + bit
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn interning_gives_dense_ids_and_finds_them_again() {
        let mut t = KeyTable::default();
        assert_eq!(t.intern("10.0.0.1", ""), 0);
        assert_eq!(t.intern("10.0.0.1", "Gi0/1"), 1);
        assert_eq!(t.intern("10.0.0.2", ""), 2);
        assert_eq!(t.intern("10.0.0.1", ""), 0);
        // The split between exporter and interface is part of the key.
        assert_eq!(t.intern("10.0.0.1G", "i0/1"), 3);
        assert_eq!(t.len(), 4);
        assert_eq!(t.get("10.0.0.1", "Gi0/1"), Some(1));
        assert_eq!(t.get("10.0.0.9", ""), None);
        assert_eq!(t.key(1), Key::new("10.0.0.1", "Gi0/1"));
        assert_eq!((t.exporter(3), t.interface(3)), ("10.0.0.1G", "i0/1"));
    }

    #[test]
    fn key_set_counts_and_iterates_in_order() {
        let a: KeySet = [3, 64, 200, 3, 0].into_iter().collect();
        assert_eq!(a.len(), 4);
        assert_eq!(a.iter().collect::<Vec<_>>(), [0, 3, 64, 200]);
        assert!(a.contains(64) && !a.contains(65) && !a.contains(100_000));
    }

    proptest! {
        #[test]
        fn every_interned_key_reads_back(keys in proptest::collection::vec(("[a-c]{0,3}", "[a-c]{0,2}"), 0..60)) {
            let mut t = KeyTable::default();
            let ids: Vec<KeyId> = keys.iter().map(|(e, i)| t.intern(e, i)).collect();
            for ((e, i), id) in keys.iter().zip(&ids) {
                prop_assert_eq!(t.key(*id), Key::new(e.as_str(), i.as_str()));
                prop_assert_eq!(t.get(e, i), Some(*id));
            }
            let distinct: std::collections::HashSet<_> = keys.iter().collect();
            prop_assert_eq!(t.len(), distinct.len());
        }
    }
}
