//! Cache storage for pingora's HTTP cache: [`MemoryStorage`] implements
//! [`pingora_cache::Storage`] on a memory tier with a byte budget.
//!
//! pingora ships no production storage (its `MemCache` is unbounded and for tests). This one:
//!
//! - **Holds at most `budget_bytes`** of stored bytes (serialized meta + body; see
//!   [`MemoryStorageConfig`]). TinyUFO (S3-FIFO eviction, TinyLFU admission) decides what stays,
//!   keyed by the combined cache-key hash (primary + variance).
//! - **Evicts by itself**, inside a fill's `finish`. Enable the cache with **no**
//!   `EvictionManager`: `session.cache.enable(&STORAGE, None, predictor, lock, None)`. One would
//!   work (its victims arrive as `purge(Exact, Eviction)`) but it is a second policy disagreeing
//!   with the first. A fill TinyLFU declines is routine, not an error: `finish` reports
//!   `Created(0)`, and cache-lock waiters look up, miss and go to the origin.
//! - **Stores whole objects only** (`support_streaming_partial_write() == false`). A fill is
//!   buffered in its miss handler and becomes visible at `finish`, when pingora releases the
//!   cache-lock waiters. Streaming would let waiters read while the fill runs, but needs a failure
//!   path for readers of a fill that dies, and an object's size (so its admission) is only known
//!   at the end. Hits get the stored body zero-copy, and can seek, so ranges are served from cache.
//! - **Refuses objects over `max_object_bytes`** (meta + body) without failing the response:
//!   `write_body` never errors. Refused at once when `Content-Length` says so (nothing buffered),
//!   otherwise when the body crosses the limit (the buffer is freed). pingora's own
//!   `set_max_file_size_bytes` also catches the `Content-Length` case, earlier and marking the key
//!   uncacheable, but aborts chunked responses that cross it (spec `pingora.md` §8 pitfall 12).
//! - **Lets an invalidation win over fills in flight.** `purge(.., PurgeType::Invalidation)` and
//!   [`MemoryStorage::purge_all`] also cancel fills of the key already under way, so a response
//!   fetched before an invalidation is never stored after it. Eviction purges do not.
//! - `expire` marks the entry stale in place, keeping its body for a 304; `update_meta` swaps the
//!   meta only if the object it read is still the stored one. Entries are key-only (no
//!   `CacheEntryId`): a `PurgeTarget::Exact` carrying an entry ID matches nothing.
//!
//! # Adding a disk tier
//!
//! Everything pingora-facing talks to `Tiers` only: `get` (async), `insert`, `remove`,
//! `replace`, `clear`, `len`, `size_bytes`. A foyer disk tier becomes a field of `Tiers`
//! (e.g. `disk: Option<DiskTier>` around `foyer::HybridCache<HashBinary, StoredObject>`): `get`
//! tries memory, then `disk.get(key).await`, promoting hits into memory; `insert` puts into memory
//! and hands the object to foyer (its `insert` is synchronous, it writes to disk in the
//! background); `remove`, `replace` and `clear` apply to both. `StoredObject` gains foyer's
//! (de)serialization; `MemoryStorage` gains a constructor taking the disk settings (and perhaps a
//! neutral name with a type alias). The `Storage` impl, the handlers and the callers stay as they
//! are.

mod memory;

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use pingora_cache::key::{CacheHashKey, HashBinary};
use pingora_cache::storage::{HandleHit, HandleMiss, MissFinishType};
use pingora_cache::trace::SpanHandle;
use pingora_cache::{
    CacheKey, CacheMeta, HitHandler, MissHandler, PurgeOutcome, PurgeTarget, PurgeType, Storage,
};
use pingora_error::{Error, ErrorType, Result};

use memory::{lock, MemoryTier, Replaced, Sizing, StoredObject};

/// Default cap on one object: 32 MiB, or an eighth of the budget if that is smaller.
const DEFAULT_MAX_OBJECT_BYTES: usize = 32 << 20;
/// Average object size assumed when estimating the item count from the budget.
const ASSUMED_OBJECT_BYTES: usize = 32 << 10;
/// Bounds on the item estimate. TinyLFU's sketch grows with it (≈ 13 MB at the upper bound).
const MIN_ESTIMATED_ITEMS: usize = 1024;
const MAX_ESTIMATED_ITEMS: usize = 256 << 10;
/// Attempts at expiring an entry that keeps changing under us before deleting it instead.
const EXPIRE_ATTEMPTS: usize = 3;

/// Sizes of a [`MemoryStorage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryStorageConfig {
    /// Most bytes held at once, counting each object's serialized meta and body (not the
    /// per-entry bookkeeping, a few hundred bytes an object, nor TinyLFU's sketch).
    pub budget_bytes: usize,
    /// Largest object stored, meta + body; larger ones are served but not kept. Capped at
    /// `budget_bytes`. Default: 32 MiB or `budget_bytes / 8`, whichever is smaller.
    pub max_object_bytes: usize,
    /// Expected number of objects; sizes TinyLFU's frequency sketch and the index. Default:
    /// `budget_bytes / 32 KiB`, within 1 024..=262 144.
    pub estimated_items: usize,
}

impl MemoryStorageConfig {
    /// The defaults for a budget of `budget_bytes`.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            budget_bytes,
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES.min(budget_bytes / 8),
            estimated_items: (budget_bytes / ASSUMED_OBJECT_BYTES)
                .clamp(MIN_ESTIMATED_ITEMS, MAX_ESTIMATED_ITEMS),
        }
    }
}

/// The edge's cache storage: a memory tier with a byte budget, TinyUFO admission and eviction.
/// See the [module docs](self) for the contract it keeps with pingora.
///
/// pingora wants `&'static (dyn Storage + Sync)`: keep it in a `static LazyLock` or leak a box.
pub struct MemoryStorage {
    tiers: Tiers,
    max_object_bytes: usize,
    budget_bytes: usize,
    /// Fills in flight: key → write IDs. An invalidation removes the key, cancelling them.
    fills: Mutex<HashMap<HashBinary, Vec<u64>>>,
    next_write_id: AtomicU64,
}

impl MemoryStorage {
    /// An empty storage of the given sizes.
    pub fn new(config: MemoryStorageConfig) -> Self {
        let sizing = Sizing::new(config.budget_bytes, config.max_object_bytes);
        Self {
            tiers: Tiers {
                memory: MemoryTier::new(sizing, config.estimated_items.max(16)),
            },
            max_object_bytes: config.max_object_bytes.min(config.budget_bytes),
            budget_bytes: config.budget_bytes,
            fills: Mutex::default(),
            next_write_id: AtomicU64::new(0),
        }
    }

    /// Drops every stored object and cancels every fill in flight.
    pub fn purge_all(&self) {
        let retired = {
            let mut fills = lock(&self.fills);
            fills.clear();
            self.tiers.clear()
        };
        drop(retired);
    }

    /// Number of stored objects.
    pub fn len(&self) -> usize {
        self.tiers.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of stored objects (serialized meta + body); never above [`Self::budget_bytes`].
    pub fn size_bytes(&self) -> usize {
        self.tiers.size_bytes()
    }

    /// The byte budget.
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// The largest object stored, meta + body.
    pub fn max_object_bytes(&self) -> usize {
        self.max_object_bytes
    }

    /// Makes a finished fill visible, unless an invalidation cancelled it. Returns whether it is
    /// stored.
    fn commit(&self, write_id: u64, object: Arc<StoredObject>) -> bool {
        // Held across the insert so that a purge of this key is wholly before or after it.
        let mut fills = lock(&self.fills);
        if !forget_fill(&mut fills, object.key(), write_id) {
            return false;
        }
        self.tiers.insert(object)
    }

    fn abandon(&self, key: &HashBinary, write_id: u64) {
        forget_fill(&mut lock(&self.fills), key, write_id);
    }

    async fn expire_key(&self, key: &HashBinary) -> Result<PurgeOutcome> {
        for _ in 0..EXPIRE_ATTEMPTS {
            let Some(current) = self.tiers.get(key).await else {
                return Ok(PurgeOutcome::NotFound);
            };
            let mut meta = current.meta()?;
            meta.expire_at(SystemTime::now());
            let stale = Arc::new(current.with_meta(meta.serialize()?));
            match self.tiers.replace(&current, stale) {
                Replaced::Yes => return Ok(PurgeOutcome::Expired),
                Replaced::Removed => return Ok(PurgeOutcome::Purged(None)),
                Replaced::Changed => continue,
            }
        }
        // Refilled faster than we can rewrite it: deleting also keeps it from being served fresh.
        Ok(if self.tiers.remove(key) {
            PurgeOutcome::Purged(None)
        } else {
            PurgeOutcome::NotFound
        })
    }
}

/// Removes one fill from the registry; returns whether it was there (not cancelled).
fn forget_fill(fills: &mut HashMap<HashBinary, Vec<u64>>, key: &HashBinary, write_id: u64) -> bool {
    let Some(ids) = fills.get_mut(key) else {
        return false;
    };
    let Some(position) = ids.iter().position(|id| *id == write_id) else {
        return false;
    };
    ids.swap_remove(position);
    if ids.is_empty() {
        fills.remove(key);
    }
    true
}

/// The key purges and lookups address: primary + variance hash. `None` for an exact target with
/// an entry ID, which this storage never hands out.
fn target_hash(target: PurgeTarget<'_>) -> Option<HashBinary> {
    match target {
        PurgeTarget::Exact(entry) if entry.entry_id().is_some() => None,
        _ => Some(target.key().combined_bin()),
    }
}

/// The `Content-Length` a cached response declares, if any.
fn content_length(meta: &CacheMeta) -> Option<usize> {
    meta.headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Where objects live: the seam a disk tier plugs into (see the module docs).
struct Tiers {
    memory: MemoryTier,
}

impl Tiers {
    async fn get(&self, key: &HashBinary) -> Option<Arc<StoredObject>> {
        self.memory.get(key)
    }

    fn insert(&self, object: Arc<StoredObject>) -> bool {
        self.memory.insert(object)
    }

    fn remove(&self, key: &HashBinary) -> bool {
        self.memory.remove(key)
    }

    fn replace(&self, current: &Arc<StoredObject>, new: Arc<StoredObject>) -> Replaced {
        self.memory.replace(current, new)
    }

    fn clear(&self) -> impl Sized {
        self.memory.clear()
    }

    fn len(&self) -> usize {
        self.memory.len()
    }

    fn size_bytes(&self) -> usize {
        self.memory.size_bytes()
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn lookup(
        &'static self,
        key: &CacheKey,
        _trace: &SpanHandle,
    ) -> Result<Option<(CacheMeta, HitHandler)>> {
        let Some(object) = self.tiers.get(&key.combined_bin()).await else {
            return Ok(None);
        };
        let meta = object.meta()?;
        Ok(Some((meta, Box::new(Hit::new(object)))))
    }

    async fn get_miss_handler(
        &'static self,
        key: &CacheKey,
        meta: &CacheMeta,
        _trace: &SpanHandle,
    ) -> Result<MissHandler> {
        let key = key.combined_bin();
        let write_id = self.next_write_id.fetch_add(1, Ordering::Relaxed);
        // An error here would fail the response (pingora `?`s it); not storing is enough.
        let fill = match meta.serialize() {
            Ok(serialized) => {
                let meta_len = serialized.0.len() + serialized.1.len();
                let declared = content_length(meta).unwrap_or(0);
                if meta_len.saturating_add(declared) <= self.max_object_bytes {
                    Fill::Buffering {
                        meta_len,
                        meta: serialized,
                        body: Vec::with_capacity(declared),
                    }
                } else {
                    Fill::Refused
                }
            }
            Err(_) => Fill::Refused,
        };
        let registered = matches!(fill, Fill::Buffering { .. });
        if registered {
            lock(&self.fills).entry(key).or_default().push(write_id);
        }
        Ok(Box::new(Miss {
            storage: self,
            key,
            write_id,
            registered,
            fill,
        }))
    }

    async fn purge(
        &'static self,
        target: PurgeTarget<'_>,
        purge_type: PurgeType,
        _trace: &SpanHandle,
    ) -> Result<PurgeOutcome> {
        let Some(key) = target_hash(target) else {
            return Ok(PurgeOutcome::NotFound);
        };
        let removed = match purge_type {
            PurgeType::Invalidation => {
                let mut fills = lock(&self.fills);
                fills.remove(&key);
                self.tiers.remove(&key)
            }
            PurgeType::Eviction => self.tiers.remove(&key),
        };
        Ok(if removed {
            PurgeOutcome::Purged(None)
        } else {
            PurgeOutcome::NotFound
        })
    }

    async fn expire(
        &'static self,
        target: PurgeTarget<'_>,
        _trace: &SpanHandle,
    ) -> Result<PurgeOutcome> {
        match target_hash(target) {
            Some(key) => self.expire_key(&key).await,
            None => Ok(PurgeOutcome::NotFound),
        }
    }

    async fn update_meta(
        &'static self,
        key: &CacheKey,
        meta: &CacheMeta,
        _trace: &SpanHandle,
    ) -> Result<bool> {
        let serialized = meta.serialize()?;
        let Some(current) = self.tiers.get(&key.combined_bin()).await else {
            return Ok(false);
        };
        let updated = Arc::new(current.with_meta(serialized));
        Ok(self.tiers.replace(&current, updated) == Replaced::Yes)
    }

    fn support_streaming_partial_write(&self) -> bool {
        false
    }

    fn as_any(&self) -> &(dyn Any + Send + Sync + 'static) {
        self
    }
}

/// A hit: reads the stored body, or the range last sought, as one zero-copy `Bytes`.
struct Hit {
    object: Arc<StoredObject>,
    start: usize,
    end: usize,
    done: bool,
}

impl Hit {
    fn new(object: Arc<StoredObject>) -> Self {
        let end = object.body().len();
        Self {
            object,
            start: 0,
            end,
            done: false,
        }
    }
}

#[async_trait]
impl HandleHit for Hit {
    async fn read_body(&mut self) -> Result<Option<Bytes>> {
        if self.done || self.start >= self.end {
            return Ok(None);
        }
        self.done = true;
        Ok(Some(self.object.body().slice(self.start..self.end)))
    }

    async fn finish(
        self: Box<Self>,
        _storage: &'static (dyn Storage + Sync),
        _key: &CacheKey,
        _trace: &SpanHandle,
    ) -> Result<()> {
        Ok(())
    }

    fn can_seek(&self) -> bool {
        true
    }

    /// `end` is exclusive and may pass the body's end; each seek rewinds the reader.
    fn seek(&mut self, start: usize, end: Option<usize>) -> Result<()> {
        let len = self.object.body().len();
        let end = end.map_or(len, |end| end.min(len));
        if start >= len || start > end {
            return Error::e_explain(
                ErrorType::InternalError,
                format!("seek {start}..{end} outside a body of {len} bytes"),
            );
        }
        self.start = start;
        self.end = end;
        self.done = false;
        Ok(())
    }

    fn get_eviction_weight(&self) -> usize {
        self.object.size()
    }

    fn as_any(&self) -> &(dyn Any + Send + Sync) {
        self
    }

    fn as_any_mut(&mut self) -> &mut (dyn Any + Send + Sync) {
        self
    }
}

/// What a fill has so far.
enum Fill {
    Buffering {
        meta_len: usize,
        meta: (Vec<u8>, Vec<u8>),
        body: Vec<u8>,
    },
    /// Too large, or cancelled: the rest of the body is ignored and nothing is stored.
    Refused,
}

/// A fill: buffers the body, stores the object at `finish`. Dropped unfinished, it stores nothing.
struct Miss {
    storage: &'static MemoryStorage,
    key: HashBinary,
    write_id: u64,
    /// Whether `write_id` is (still) in the storage's fill registry.
    registered: bool,
    fill: Fill,
}

impl Miss {
    fn refuse(&mut self) {
        self.fill = Fill::Refused;
        if std::mem::take(&mut self.registered) {
            self.storage.abandon(&self.key, self.write_id);
        }
    }
}

#[async_trait]
impl HandleMiss for Miss {
    async fn write_body(&mut self, data: Bytes, _eof: bool) -> Result<()> {
        if let Fill::Buffering { meta_len, body, .. } = &mut self.fill {
            if *meta_len + body.len() + data.len() <= self.storage.max_object_bytes {
                body.extend_from_slice(&data);
            } else {
                self.refuse();
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<MissFinishType> {
        let Fill::Buffering { meta, mut body, .. } =
            std::mem::replace(&mut self.fill, Fill::Refused)
        else {
            return Ok(MissFinishType::Created(0));
        };
        body.shrink_to_fit();
        let object = Arc::new(StoredObject::new(self.key, meta, Bytes::from(body)));
        let size = object.size();
        self.registered = false;
        let stored = self.storage.commit(self.write_id, object);
        Ok(MissFinishType::Created(if stored { size } else { 0 }))
    }
}

impl Drop for Miss {
    fn drop(&mut self) {
        if self.registered {
            self.storage.abandon(&self.key, self.write_id);
        }
    }
}

#[cfg(test)]
mod tests;
