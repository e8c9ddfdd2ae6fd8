//! Keys interned to dense ids for one poll: every stage after parsing works on
//! `KeyId`s (vectors and bitsets indexed by id) instead of hashing strings.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::Key;

/// A key's index in its `KeyTable`.
pub type KeyId = u32;

/// Exporter and interface texts, one id each, in one arena.
#[derive(Clone, Default)]
pub struct KeyTable {
    text: String,
    /// Per id: where the exporter starts, where it ends (= where the
    /// interface starts), where the interface ends.
    spans: Vec<[u32; 3]>,
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
            text: String::with_capacity(keys * 16),
            spans: Vec::with_capacity(keys),
            index: HashTable::new(),
            indexed: 0,
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn hash(&self, exporter: &str, interface: &str) -> u64 {
        self.hasher.hash_one((exporter, interface))
    }

    fn parts(&self, id: KeyId) -> (&str, &str) {
        parts(&self.text, &self.spans, id)
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
        (id as usize) < self.spans.len() && self.parts(id) == (exporter, interface)
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
                (self.indexed..self.spans.len())
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
        let hash = self.hash(exporter, interface);
        match self.find(hash, exporter, interface) {
            Some(id) => id,
            None => self.add(hash, exporter, interface),
        }
    }

    /// Adds a key known not to be in the table yet (keys read from a source
    /// that keeps them unique), without looking for it, and without
    /// indexing it until a look-up needs it.
    pub fn push_new(&mut self, exporter: &str, interface: &str) -> KeyId {
        debug_assert!(self.get(exporter, interface).is_none());
        self.append(exporter, interface)
    }

    fn append(&mut self, exporter: &str, interface: &str) -> KeyId {
        let id = KeyId::try_from(self.spans.len()).expect("fewer than 2^32 keys");
        let offset = |len: usize| u32::try_from(len).expect("key texts under 4 GiB");
        let start = offset(self.text.len());
        self.text.push_str(exporter);
        let mid = offset(self.text.len());
        self.text.push_str(interface);
        self.spans.push([start, mid, offset(self.text.len())]);
        id
    }

    /// Indexes the keys added by `push_new` since the last look-up.
    fn index_all(&mut self) {
        if self.indexed == self.spans.len() {
            return;
        }
        // The index grows without `self`: rehashing reads the texts directly.
        let (text, spans, hasher) = (&self.text, &self.spans, &self.hasher);
        let rehash = |&other: &KeyId| hasher.hash_one(parts(text, spans, other));
        self.index.reserve(spans.len() - self.indexed, rehash);
        for id in self.indexed..spans.len() {
            let id = id as KeyId;
            self.index
                .insert_unique(hasher.hash_one(parts(text, spans, id)), id, rehash);
        }
        self.indexed = spans.len();
    }

    fn add(&mut self, hash: u64, exporter: &str, interface: &str) -> KeyId {
        let id = self.append(exporter, interface);
        let (text, spans, hasher) = (&self.text, &self.spans, &self.hasher);
        self.index.insert_unique(hash, id, |&other| {
            hasher.hash_one(parts(text, spans, other))
        });
        self.indexed = spans.len();
        id
    }

    pub fn intern_key(&mut self, key: &Key) -> KeyId {
        self.intern(&key.exporter, &key.interface)
    }
}

/// A key's exporter and interface from the arena and the spans.
fn parts<'a>(text: &'a str, spans: &[[u32; 3]], id: KeyId) -> (&'a str, &'a str) {
    let [a, b, c] = spans[id as usize];
    (&text[a as usize..b as usize], &text[b as usize..c as usize])
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

    /// Ids in `self` and not in `other`, ascending.
    pub fn minus<'a>(&'a self, other: &'a KeySet) -> impl Iterator<Item = KeyId> + 'a {
        bits(
            self.words
                .iter()
                .enumerate()
                .map(|(i, w)| w & !other.words.get(i).copied().unwrap_or(0)),
        )
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
    fn key_set_counts_iterates_in_order_and_subtracts() {
        let a: KeySet = [3, 64, 200, 3, 0].into_iter().collect();
        assert_eq!(a.len(), 4);
        assert_eq!(a.iter().collect::<Vec<_>>(), [0, 3, 64, 200]);
        assert!(a.contains(64) && !a.contains(65) && !a.contains(100_000));
        let b: KeySet = [3, 65].into_iter().collect();
        assert_eq!(a.minus(&b).collect::<Vec<_>>(), [0, 64, 200]);
        assert_eq!(b.minus(&a).collect::<Vec<_>>(), [65]);
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
