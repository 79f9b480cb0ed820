//! The memory tier: whole objects in RAM under a byte budget, admitted and evicted by TinyUFO.
//!
//! TinyUFO (S3-FIFO eviction, TinyLFU admission) holds the objects themselves, keyed by the
//! combined cache-key hash, each weighing its stored bytes (serialized meta + body). Four of its
//! properties shape this file:
//!
//! - **Weights are `u16`.** Bytes are counted in units of [`Sizing::unit`] bytes,
//!   ⌈max object / 65 535⌉; each object's weight is rounded up and the limit down, so
//!   Σ bytes ≤ Σ weight × unit ≤ limit × unit ≤ budget.
//! - **It keys by a 64-bit hash of our key.** Each object carries its full 128-bit key, checked on
//!   every read, so a collision is a miss, never the wrong body.
//! - **`TinyUfo::remove` is unsafe to mix with re-insertion.** It drops the bucket but leaves the
//!   key in its FIFO queue; a later `put` of the same key queues it twice, and popping the stale
//!   copy subtracts the weight from the wrong queue (a `usize` underflow, after which everything
//!   is evicted). Purge followed by refill is our common case, so `remove` is never called: a
//!   purged key is overwritten in place by a one-unit [`Slot::Vacated`] placeholder, which S3-FIFO
//!   evicts like any cold entry.
//! - **Concurrent `put`s race on its weight counters** (cloudflare/pingora#768, open: an eviction
//!   between a push and its weight update underflows them). Reads (`get`) stay lock-free; every
//!   write goes through one mutex per [`Generation`], which also guards our books (resident keys
//!   and bytes), kept in step with TinyUFO's evictions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora_cache::key::HashBinary;
use pingora_cache::CacheMeta;
use pingora_error::Result;
use tinyufo::TinyUfo;

/// One cached response as stored: its serialized [`CacheMeta`], the same meta decoded for
/// hits, and its whole body.
pub(super) struct StoredObject {
    key: HashBinary,
    meta_internal: Box<[u8]>,
    meta_header: Box<[u8]>,
    decoded: Option<Decoded>,
    /// Bytes the meta counts against the budget (see [`stored_meta_size`]).
    meta_size: usize,
    body: Bytes,
}

/// A stored meta, decoded once at fill time: pingora keeps the response header
/// zstd-compressed, and decompressing and parsing it on every hit was the largest single cost
/// of a hit. Only metas that [`CacheMeta::new`] rebuilds exactly (never revalidated, no
/// variance, no epoch override) are kept decoded; others are deserialized per hit.
struct Decoded {
    fresh_until: std::time::SystemTime,
    created: std::time::SystemTime,
    stale_while_revalidate: u32,
    stale_if_error: u32,
    header: ResponseHeader,
}

impl Decoded {
    fn of(meta: &(Vec<u8>, Vec<u8>)) -> Option<Self> {
        let m = CacheMeta::deserialize(&meta.0, &meta.1).ok()?;
        let plain = m.updated() == m.created()
            && m.provenance() == m.created()
            && m.epoch_override().is_none()
            && m.variance().is_none();
        plain.then(|| Decoded {
            fresh_until: m.fresh_until(),
            created: m.created(),
            stale_while_revalidate: m.stale_while_revalidate_sec(),
            stale_if_error: m.stale_if_error_sec(),
            header: m.response_header_copy(),
        })
    }

    /// An estimate of the decoded header's heap bytes: names, values and a map entry each.
    fn size(&self) -> usize {
        64 + self
            .header
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 48)
            .sum::<usize>()
    }

    fn meta(&self) -> CacheMeta {
        CacheMeta::new(
            self.fresh_until,
            self.created,
            self.stale_while_revalidate,
            self.stale_if_error,
            self.header.clone(),
        )
    }
}

/// The bytes a stored meta counts against the budget: its serialized form, plus the decoded
/// copy kept for hits.
#[cfg(test)]
pub(super) fn stored_meta_size(meta: &(Vec<u8>, Vec<u8>)) -> usize {
    meta.0.len() + meta.1.len() + Decoded::of(meta).map_or(0, |d| d.size())
}

impl StoredObject {
    /// `meta` is [`CacheMeta::serialize`]'s output.
    pub(super) fn new(key: HashBinary, meta: (Vec<u8>, Vec<u8>), body: Bytes) -> Self {
        let decoded = Decoded::of(&meta);
        let meta_size = meta.0.len() + meta.1.len() + decoded.as_ref().map_or(0, Decoded::size);
        Self {
            key,
            meta_internal: meta.0.into_boxed_slice(),
            meta_header: meta.1.into_boxed_slice(),
            decoded,
            meta_size,
            body,
        }
    }

    /// The same body under another (serialized) meta.
    pub(super) fn with_meta(&self, meta: (Vec<u8>, Vec<u8>)) -> Self {
        Self::new(self.key, meta, self.body.clone())
    }

    pub(super) fn key(&self) -> &HashBinary {
        &self.key
    }

    pub(super) fn body(&self) -> &Bytes {
        &self.body
    }

    /// The bytes this object counts against the budget: its meta ([`stored_meta_size`]) and
    /// body.
    pub(super) fn size(&self) -> usize {
        self.meta_size + self.body.len()
    }

    /// A fresh [`CacheMeta`] (pingora hands out owned metas; `CacheMeta` is not `Clone`).
    pub(super) fn meta(&self) -> Result<CacheMeta> {
        match &self.decoded {
            Some(d) => Ok(d.meta()),
            None => CacheMeta::deserialize(&self.meta_internal, &self.meta_header),
        }
    }
}

/// How bytes map onto TinyUFO's `u16` weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Sizing {
    /// Bytes per weight unit: ⌈max object / 65 535⌉, at least 1.
    unit: usize,
    /// TinyUFO's weight limit: ⌊budget / unit⌋.
    limit_units: usize,
    max_object_bytes: usize,
}

impl Sizing {
    /// `max_object_bytes` is capped at `budget_bytes`.
    pub(super) fn new(budget_bytes: usize, max_object_bytes: usize) -> Self {
        let max_object_bytes = max_object_bytes.min(budget_bytes);
        let unit = max_object_bytes.div_ceil(usize::from(u16::MAX)).max(1);
        Self {
            unit,
            limit_units: budget_bytes / unit,
            max_object_bytes,
        }
    }

    /// The TinyUFO weight of an object of `size` bytes; `None` if it may not be stored.
    pub(super) fn weight(&self, size: usize) -> Option<u16> {
        if size > self.max_object_bytes {
            return None;
        }
        let units = size.div_ceil(self.unit).max(1);
        if units > self.limit_units {
            return None;
        }
        // ≤ ⌈max_object / unit⌉ ≤ 65 535 by the choice of unit.
        u16::try_from(units).ok()
    }
}

/// What TinyUFO holds per key.
#[derive(Clone)]
enum Slot {
    Live(Arc<StoredObject>),
    /// A purged key (see the module docs on `TinyUfo::remove`). Weighs one unit, counts no bytes.
    Vacated,
}

/// What [`MemoryTier::replace`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Replaced {
    /// The new object is stored in place of the old.
    Yes,
    /// The stored object is no longer the one given (replaced, purged or evicted): nothing done.
    Changed,
    /// The old object is gone and the new one was not admitted (too large, or evicted at once).
    Removed,
}

/// Resident keys and bytes, in step with TinyUFO; changed only under [`Generation::books`].
#[derive(Default)]
struct Books {
    sizes: HashMap<HashBinary, usize>,
    bytes: usize,
}

impl Books {
    fn forget(&mut self, key: &HashBinary) -> Option<usize> {
        let size = self.sizes.remove(key)?;
        self.bytes = self.bytes.saturating_sub(size);
        Some(size)
    }

    fn record(&mut self, key: HashBinary, size: usize) {
        self.sizes.insert(key, size);
        self.bytes += size;
    }
}

/// One TinyUFO and its books; [`MemoryTier::clear`] swaps in a new one.
struct Generation {
    objects: TinyUfo<HashBinary, Slot>,
    books: Mutex<Books>,
}

impl Generation {
    fn new(sizing: Sizing, estimated_items: usize) -> Self {
        Self {
            objects: TinyUfo::new(sizing.limit_units, estimated_items),
            books: Mutex::default(),
        }
    }

    /// Puts `object` (replacing any object of its key) and settles the books with whatever
    /// TinyUFO evicted. Returns whether `object` itself is stored: TinyLFU may decline a new key
    /// that is less popular than the entry it would evict.
    fn put(&self, books: &mut Books, object: Arc<StoredObject>, weight: u16) -> bool {
        let key = object.key;
        let size = object.size();
        // TinyUFO drops a replaced object without reporting it.
        books.forget(&key);
        let evicted = self
            .objects
            .put(key, Slot::Live(Arc::clone(&object)), weight);
        let mut admitted = true;
        for victim in evicted {
            match victim.data {
                Slot::Live(gone) if Arc::ptr_eq(&gone, &object) => admitted = false,
                Slot::Live(gone) => {
                    books.forget(&gone.key);
                }
                Slot::Vacated => {}
            }
        }
        if admitted {
            books.record(key, size);
        }
        admitted
    }

    /// Empties `key`'s slot; returns whether an object was stored there.
    fn vacate(&self, books: &mut Books, key: &HashBinary) -> bool {
        if books.forget(key).is_none() {
            return false;
        }
        for victim in self.objects.put(*key, Slot::Vacated, 1) {
            if let Slot::Live(gone) = victim.data {
                books.forget(&gone.key);
            }
        }
        true
    }
}

/// Objects in memory under a byte budget. All methods are synchronous and short; no lock is held
/// beyond a call.
pub(super) struct MemoryTier {
    sizing: Sizing,
    estimated_items: usize,
    /// Read-locked by every call, write-locked only by [`Self::clear`] to swap generations.
    current: RwLock<Arc<Generation>>,
}

impl MemoryTier {
    pub(super) fn new(sizing: Sizing, estimated_items: usize) -> Self {
        Self {
            sizing,
            estimated_items,
            current: RwLock::new(Arc::new(Generation::new(sizing, estimated_items))),
        }
    }

    /// The object stored under `key`, counting the read as an access.
    pub(super) fn get(&self, key: &HashBinary) -> Option<Arc<StoredObject>> {
        let generation = read(&self.current);
        match generation.objects.get(key)? {
            Slot::Live(object) if object.key == *key => Some(object),
            _ => None,
        }
    }

    /// Stores `object` in place of any object of its key; returns whether it was admitted.
    pub(super) fn insert(&self, object: Arc<StoredObject>) -> bool {
        let Some(weight) = self.sizing.weight(object.size()) else {
            return false;
        };
        let generation = read(&self.current);
        let mut books = lock(&generation.books);
        generation.put(&mut books, object, weight)
    }

    /// Removes `key`'s object; returns whether there was one.
    pub(super) fn remove(&self, key: &HashBinary) -> bool {
        let generation = read(&self.current);
        let mut books = lock(&generation.books);
        generation.vacate(&mut books, key)
    }

    /// Stores `new` in place of `current`, only if `current` is still the stored object of its
    /// key (compare-and-swap, so a meta update never lands on another fill's body).
    pub(super) fn replace(&self, current: &Arc<StoredObject>, new: Arc<StoredObject>) -> Replaced {
        let generation = read(&self.current);
        let mut books = lock(&generation.books);
        let still_current = matches!(
            generation.objects.get(&current.key),
            Some(Slot::Live(stored)) if Arc::ptr_eq(&stored, current)
        );
        if !still_current {
            return Replaced::Changed;
        }
        match self.sizing.weight(new.size()) {
            Some(weight) if generation.put(&mut books, new, weight) => Replaced::Yes,
            Some(_) => Replaced::Removed,
            None => {
                generation.vacate(&mut books, &current.key);
                Replaced::Removed
            }
        }
    }

    /// Drops every object. Returns the old generation for the caller to drop once it holds no
    /// lock: freeing a full cache takes a while.
    pub(super) fn clear(&self) -> impl Sized {
        let fresh = Arc::new(Generation::new(self.sizing, self.estimated_items));
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *current, fresh)
    }

    /// Number of stored objects.
    pub(super) fn len(&self) -> usize {
        let generation = read(&self.current);
        let books = lock(&generation.books);
        books.sizes.len()
    }

    /// Bytes of stored objects (serialized meta + body).
    pub(super) fn size_bytes(&self) -> usize {
        let generation = read(&self.current);
        let books = lock(&generation.books);
        books.bytes
    }
}

// A panic while a lock is held cannot leave TinyUFO half-updated in a way a later call cannot
// live with (at worst the books drift), so poisoning is ignored rather than spread.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizing_rounds_weights_up_and_the_limit_down() {
        // 1 MiB objects need 17-byte units to fit in a u16.
        let sizing = Sizing::new(10 << 20, 1 << 20);
        assert_eq!(sizing.unit, 17);
        assert_eq!(sizing.limit_units, (10 << 20) / 17);
        assert_eq!(sizing.weight(1), Some(1));
        assert_eq!(sizing.weight(17), Some(1));
        assert_eq!(sizing.weight(18), Some(2));
        assert_eq!(sizing.weight(1 << 20), Some(61_681));
        assert_eq!(sizing.weight((1 << 20) + 1), None);
        // Weight × unit never undercounts bytes.
        for size in [1, 16, 17, 18, 1000, 65_535, 1 << 20] {
            let units = usize::from(sizing.weight(size).unwrap_or(0));
            assert!(units * sizing.unit >= size, "{size}");
        }
    }

    #[test]
    fn sizing_caps_the_largest_object_at_the_budget() {
        let sizing = Sizing::new(1000, 5000);
        assert_eq!(sizing.unit, 1);
        assert_eq!(sizing.weight(1000), Some(1000));
        assert_eq!(sizing.weight(1001), None);
    }
}
