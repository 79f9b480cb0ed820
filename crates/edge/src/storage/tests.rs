use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pingora_cache::trace::Span;
use pingora_cache::{CacheEntryId, CacheEntryKey};
use pingora_http::ResponseHeader;

use super::*;

const KIB: usize = 1024;

fn storage(budget_bytes: usize, max_object_bytes: usize) -> &'static MemoryStorage {
    Box::leak(Box::new(MemoryStorage::new(MemoryStorageConfig {
        budget_bytes,
        max_object_bytes,
        estimated_items: 1024,
    })))
}

fn span() -> SpanHandle {
    Span::inactive().handle()
}

fn key(path: &str) -> CacheKey {
    CacheKey::new(path, "E2DISTRIBUTION")
}

/// Whole seconds, so the comparisons below do not depend on sub-second precision.
fn now() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn meta_with(tag: &str, headers: &[(&'static str, String)]) -> CacheMeta {
    let mut header = ResponseHeader::build(200, None).unwrap();
    header.insert_header("x-tag", tag).unwrap();
    for (name, value) in headers {
        header.insert_header(*name, value.as_str()).unwrap();
    }
    let created = now();
    CacheMeta::new(created + Duration::from_secs(300), created, 7, 60, header)
}

fn meta(tag: &str) -> CacheMeta {
    meta_with(tag, &[])
}

fn meta_len(meta: &CacheMeta) -> usize {
    super::memory::stored_meta_size(&meta.serialize().unwrap())
}

fn finished_size(finish: MissFinishType) -> usize {
    match finish {
        MissFinishType::Created(size) => size,
        MissFinishType::Appended(..) => panic!("a memory fill never appends"),
    }
}

async fn fill(
    storage: &'static MemoryStorage,
    key: &CacheKey,
    meta: &CacheMeta,
    chunks: &[&[u8]],
) -> usize {
    let mut miss = storage.get_miss_handler(key, meta, &span()).await.unwrap();
    for chunk in chunks {
        miss.write_body(Bytes::copy_from_slice(chunk), false)
            .await
            .unwrap();
    }
    miss.write_body(Bytes::new(), true).await.unwrap();
    finished_size(miss.finish().await.unwrap())
}

async fn read_all(hit: &mut HitHandler) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(chunk) = hit.read_body().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    body
}

async fn body_of(storage: &'static MemoryStorage, key: &CacheKey) -> Option<Vec<u8>> {
    let (_, mut hit) = storage.lookup(key, &span()).await.unwrap()?;
    Some(read_all(&mut hit).await)
}

fn tag_of(meta: &CacheMeta) -> &str {
    meta.headers()
        .get("x-tag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn a_finished_fill_is_a_hit_with_the_same_meta_and_body() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/a");
    let meta = meta("v1");
    assert!(storage.lookup(&key, &span()).await.unwrap().is_none());

    let size = fill(storage, &key, &meta, &[b"hello ", b"world"]).await;
    assert_eq!(size, meta_len(&meta) + 11);
    assert_eq!((storage.len(), storage.size_bytes()), (1, size));

    let (hit_meta, mut hit) = storage.lookup(&key, &span()).await.unwrap().unwrap();
    assert_eq!(hit_meta.fresh_until(), meta.fresh_until());
    assert_eq!(hit_meta.created(), meta.created());
    assert_eq!(hit_meta.updated(), meta.updated());
    assert_eq!(hit_meta.serialize().unwrap(), meta.serialize().unwrap());
    assert_eq!(hit_meta.stale_while_revalidate_sec(), 7);
    assert_eq!(hit_meta.stale_if_error_sec(), 60);
    assert_eq!(hit_meta.response_header().status, 200);
    assert_eq!(tag_of(&hit_meta), "v1");
    assert_eq!(hit.get_eviction_weight(), size);
    assert_eq!(hit.read_body().await.unwrap().unwrap(), "hello world");
    assert!(hit.read_body().await.unwrap().is_none());
    hit.finish(storage, &key, &span()).await.unwrap();

    // The variance is part of the key: another variant of /a is a miss.
    let mut variant = self::key("/a");
    variant.set_variance_key([7; 16]);
    assert!(storage.lookup(&variant, &span()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dropped_fill_stores_nothing() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/dropped");
    let mut miss = storage
        .get_miss_handler(&key, &meta("v1"), &span())
        .await
        .unwrap();
    miss.write_body(Bytes::from_static(b"partial"), false)
        .await
        .unwrap();
    drop(miss);

    assert!(storage.lookup(&key, &span()).await.unwrap().is_none());
    assert_eq!((storage.len(), storage.size_bytes()), (0, 0));
    assert!(lock(&storage.fills).is_empty(), "the fill is unregistered");
}

#[tokio::test]
async fn purge_removes_the_entry_and_reports_the_outcome() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/purge");
    let compact = key.to_compact();
    let active = PurgeTarget::Active(&compact);

    assert_eq!(
        storage
            .purge(active, PurgeType::Invalidation, &span())
            .await
            .unwrap(),
        PurgeOutcome::NotFound
    );
    fill(storage, &key, &meta("v1"), &[b"body"]).await;
    assert_eq!(
        storage
            .purge(active, PurgeType::Invalidation, &span())
            .await
            .unwrap(),
        PurgeOutcome::Purged(None)
    );
    assert!(storage.lookup(&key, &span()).await.unwrap().is_none());
    assert_eq!((storage.len(), storage.size_bytes()), (0, 0));
    assert_eq!(
        storage
            .purge(active, PurgeType::Invalidation, &span())
            .await
            .unwrap(),
        PurgeOutcome::NotFound
    );

    // Refilled after a purge, then purged by an exact key-only target (what eviction sends).
    fill(storage, &key, &meta("v2"), &[b"body"]).await;
    assert_eq!(body_of(storage, &key).await.unwrap(), b"body");
    let identified = CacheEntryKey::identified(compact.clone(), CacheEntryId::new(1));
    assert_eq!(
        storage
            .purge(
                PurgeTarget::Exact(&identified),
                PurgeType::Eviction,
                &span()
            )
            .await
            .unwrap(),
        PurgeOutcome::NotFound,
        "this storage hands out no entry IDs, so an identified target is another entry"
    );
    assert_eq!(storage.len(), 1);
    let key_only = CacheEntryKey::key_only(compact.clone());
    assert_eq!(
        storage
            .purge(PurgeTarget::Exact(&key_only), PurgeType::Eviction, &span())
            .await
            .unwrap(),
        PurgeOutcome::Purged(None)
    );
    assert!(storage.lookup(&key, &span()).await.unwrap().is_none());
    assert_eq!((storage.len(), storage.size_bytes()), (0, 0));
}

#[tokio::test]
async fn an_invalidation_cancels_a_fill_in_flight_an_eviction_does_not() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/racing");
    let compact = key.to_compact();

    let mut miss = storage
        .get_miss_handler(&key, &meta("old"), &span())
        .await
        .unwrap();
    miss.write_body(Bytes::from_static(b"old"), true)
        .await
        .unwrap();
    storage
        .purge(
            PurgeTarget::Active(&compact),
            PurgeType::Invalidation,
            &span(),
        )
        .await
        .unwrap();
    assert_eq!(finished_size(miss.finish().await.unwrap()), 0);
    assert!(storage.lookup(&key, &span()).await.unwrap().is_none());

    let mut miss = storage
        .get_miss_handler(&key, &meta("new"), &span())
        .await
        .unwrap();
    miss.write_body(Bytes::from_static(b"new"), true)
        .await
        .unwrap();
    storage
        .purge(PurgeTarget::Active(&compact), PurgeType::Eviction, &span())
        .await
        .unwrap();
    assert!(finished_size(miss.finish().await.unwrap()) > 0);
    assert_eq!(body_of(storage, &key).await.unwrap(), b"new");
    assert!(lock(&storage.fills).is_empty());
}

#[tokio::test]
async fn update_meta_replaces_the_meta_and_keeps_the_body() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/revalidated");
    fill(storage, &key, &meta("before"), &[b"same body"]).await;

    let mut revalidated = meta_with("after", &[("etag", "\"v2\"".to_string())]);
    revalidated.update_freshness(now() + Duration::from_secs(3600), 1, 2);
    assert!(storage
        .update_meta(&key, &revalidated, &span())
        .await
        .unwrap());

    let (stored, mut hit) = storage.lookup(&key, &span()).await.unwrap().unwrap();
    assert_eq!(tag_of(&stored), "after");
    // A revalidated meta keeps its own `updated` (Age counts from the refresh), which the
    // decoded fast path cannot rebuild: it is read from the serialized form.
    assert_eq!(stored.updated(), revalidated.updated());
    assert_ne!(stored.updated(), stored.created());
    assert_eq!(stored.headers().get("etag").unwrap(), "\"v2\"");
    assert_eq!(stored.fresh_until(), revalidated.fresh_until());
    assert_eq!(stored.stale_while_revalidate_sec(), 1);
    assert_eq!(read_all(&mut hit).await, b"same body");
    assert_eq!(
        storage.size_bytes(),
        meta_len(&revalidated) + 9,
        "the books follow the new meta's size"
    );

    // Evicted or purged before the 304 came back: nothing to update, and no panic.
    assert!(!storage
        .update_meta(&self::key("/gone"), &revalidated, &span())
        .await
        .unwrap());
}

#[tokio::test]
async fn expire_keeps_the_body_but_makes_the_entry_stale() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/expired");
    let compact = key.to_compact();
    fill(storage, &key, &meta("v1"), &[b"keep me"]).await;

    let outcome = storage
        .expire(PurgeTarget::Active(&compact), &span())
        .await
        .unwrap();
    assert_eq!(outcome, PurgeOutcome::Expired);
    let (stored, mut hit) = storage.lookup(&key, &span()).await.unwrap().unwrap();
    assert!(!stored.is_fresh(SystemTime::now() + Duration::from_secs(1)));
    assert!(stored.serve_stale_while_revalidate(SystemTime::now()));
    assert_eq!(read_all(&mut hit).await, b"keep me");

    let absent = self::key("/never").to_compact();
    assert_eq!(
        storage
            .expire(PurgeTarget::Active(&absent), &span())
            .await
            .unwrap(),
        PurgeOutcome::NotFound
    );
}

#[tokio::test]
async fn seek_serves_ranges_from_the_stored_body() {
    let storage = storage(1 << 20, 64 * KIB);
    let key = key("/ranged");
    fill(storage, &key, &meta("v1"), &[b"01234", b"56789"]).await;
    let (_, mut hit) = storage.lookup(&key, &span()).await.unwrap().unwrap();
    assert!(hit.can_seek());
    assert!(hit.can_seek_multipart());

    let mut read_range = async |start: usize, end: Option<usize>| {
        hit.seek(start, end).unwrap();
        read_all(&mut hit).await
    };
    assert_eq!(read_range(5, None).await, b"56789");
    assert_eq!(read_range(2, Some(4)).await, b"23");
    assert_eq!(read_range(0, Some(1)).await, b"0");
    assert_eq!(read_range(8, Some(100)).await, b"89", "end is clamped");
    assert_eq!(read_range(0, None).await, b"0123456789");

    assert!(hit.seek(10, None).is_err(), "start past the end");
    assert!(hit.seek(4, Some(3)).is_err(), "end before start");
    hit.seek_multipart(3, Some(6)).unwrap();
    assert_eq!(read_all(&mut hit).await, b"345");
}

#[tokio::test]
async fn the_byte_budget_holds_however_much_is_written() {
    const BUDGET: usize = 64 * KIB;
    let storage = storage(BUDGET, 8 * KIB);
    let mut sizes = Vec::new();
    let mut seed: u32 = 12_345;
    for i in 0..400 {
        // A small LCG: body sizes from 100 B to ~6 KiB, deterministic.
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let body = vec![b'x'; 100 + (seed >> 16) as usize % 6000];
        let key = key(&format!("/budget/{i}"));
        let meta = meta("v1");
        let size = fill(storage, &key, &meta, &[&body]).await;
        assert!(size == 0 || size == meta_len(&meta) + body.len());
        assert!(
            storage.size_bytes() <= BUDGET,
            "after {i}: {}",
            storage.size_bytes()
        );
        sizes.push((key, meta_len(&meta) + body.len()));
    }
    let written: usize = sizes.iter().map(|(_, size)| size).sum();
    assert!(written > 10 * BUDGET, "{written}");

    // What can actually be read back is what the books say, and fits the budget.
    let (mut hits, mut resident) = (0, 0);
    for (key, size) in &sizes {
        if storage.lookup(key, &span()).await.unwrap().is_some() {
            hits += 1;
            resident += size;
        }
    }
    assert_eq!((hits, resident), (storage.len(), storage.size_bytes()));
    assert!(resident <= BUDGET);
    assert!(resident > BUDGET / 2, "the budget is used: {resident}");
}

#[tokio::test]
async fn a_hot_key_survives_a_scan_of_one_off_keys() {
    // Room for about 60 objects; the scan writes 1 000 that are never read again. LRU or FIFO
    // would drop the hot key after ~60 of them; S3-FIFO keeps it (read twice or more → main queue).
    let storage = storage(64 * KIB, 8 * KIB);
    let body = vec![b'h'; KIB];
    let hot = key("/hot");
    fill(storage, &hot, &meta("hot"), &[&body]).await;
    for _ in 0..3 {
        assert!(storage.lookup(&hot, &span()).await.unwrap().is_some());
    }

    for i in 0..1000 {
        fill(
            storage,
            &key(&format!("/scan/{i}")),
            &meta("scan"),
            &[&body],
        )
        .await;
    }

    assert!(storage.len() < 100, "the scan did fill the cache");
    assert_eq!(body_of(storage, &hot).await.unwrap(), body);
}

#[tokio::test]
async fn oversize_objects_are_refused() {
    const MAX: usize = 2 * KIB;
    let storage = storage(1 << 20, MAX);

    // No Content-Length: refused when the body crosses the limit.
    let chunked = key("/big/chunked");
    let chunk = vec![b'c'; KIB];
    let size = fill(storage, &chunked, &meta("v1"), &[&chunk, &chunk, &chunk]).await;
    assert_eq!(size, 0);
    assert!(storage.lookup(&chunked, &span()).await.unwrap().is_none());

    // Content-Length over the limit: refused before any byte is buffered.
    let declared = key("/big/declared");
    let big_meta = meta_with("v1", &[("content-length", (4 * KIB).to_string())]);
    let miss = storage
        .get_miss_handler(&declared, &big_meta, &span())
        .await
        .unwrap();
    assert!(lock(&storage.fills).is_empty(), "nothing to register");
    drop(miss);
    let size = fill(storage, &declared, &big_meta, &[&vec![b'd'; 4 * KIB]]).await;
    assert_eq!(size, 0);
    assert!(storage.lookup(&declared, &span()).await.unwrap().is_none());

    // Exactly at the limit: stored.
    let fits = key("/fits");
    let meta = meta("v1");
    let body = vec![b'f'; MAX - meta_len(&meta)];
    assert_eq!(fill(storage, &fits, &meta, &[&body]).await, MAX);
    assert_eq!(body_of(storage, &fits).await.unwrap(), body);
    assert_eq!((storage.len(), storage.size_bytes()), (1, MAX));
    assert!(lock(&storage.fills).is_empty());
}

#[tokio::test]
async fn purge_all_empties_the_storage_and_cancels_fills() {
    let storage = storage(1 << 20, 64 * KIB);
    for i in 0..10 {
        fill(storage, &key(&format!("/all/{i}")), &meta("v1"), &[b"x"]).await;
    }
    let late = key("/all/late");
    let mut in_flight = storage
        .get_miss_handler(&late, &meta("v1"), &span())
        .await
        .unwrap();
    in_flight
        .write_body(Bytes::from_static(b"late"), true)
        .await
        .unwrap();
    assert_eq!(storage.len(), 10);

    storage.purge_all();
    assert!(storage.is_empty());
    assert_eq!(storage.size_bytes(), 0);
    assert!(storage
        .lookup(&key("/all/3"), &span())
        .await
        .unwrap()
        .is_none());
    assert_eq!(finished_size(in_flight.finish().await.unwrap()), 0);
    assert!(storage.lookup(&late, &span()).await.unwrap().is_none());

    fill(storage, &late, &meta("v2"), &[b"after"]).await;
    assert_eq!(body_of(storage, &late).await.unwrap(), b"after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_fills_lookups_and_purges_keep_the_books() {
    const BUDGET: usize = 32 * KIB;
    let storage = storage(BUDGET, 4 * KIB);
    // Every fill of key k writes the same body, so any resident k has a known size and content.
    let body_of_key = |k: usize| vec![b'a' + (k % 26) as u8; 200 + (k * 37) % 3000];

    let tasks: Vec<_> = (0..8)
        .map(|task| {
            tokio::spawn(async move {
                for round in 0..200 {
                    let k = (task * 7 + round * 13) % 60;
                    let key = key(&format!("/shared/{k}"));
                    match round % 5 {
                        0 => {
                            let compact = key.to_compact();
                            let purge_type = if round % 2 == 0 {
                                PurgeType::Invalidation
                            } else {
                                PurgeType::Eviction
                            };
                            storage
                                .purge(PurgeTarget::Active(&compact), purge_type, &span())
                                .await
                                .unwrap();
                        }
                        1 | 2 => {
                            if let Some(body) = body_of(storage, &key).await {
                                assert_eq!(body, body_of_key(k));
                            }
                        }
                        _ => {
                            fill(storage, &key, &meta("v1"), &[&body_of_key(k)]).await;
                        }
                    }
                    assert!(storage.size_bytes() <= BUDGET);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    let meta_size = meta_len(&meta("v1"));
    let (mut hits, mut resident) = (0, 0);
    for k in 0..60 {
        if let Some(body) = body_of(storage, &key(&format!("/shared/{k}"))).await {
            assert_eq!(body, body_of_key(k));
            hits += 1;
            resident += meta_size + body.len();
        }
    }
    assert_eq!((hits, resident), (storage.len(), storage.size_bytes()));
    assert!(resident <= BUDGET);
    assert!(lock(&storage.fills).is_empty());
}

#[tokio::test]
async fn purging_and_refilling_read_keys_keeps_the_cache_working() {
    // Purge-then-refill of keys that are read is the invalidation pattern. TinyUFO's own
    // `remove` leaves the key queued, and a refilled key then sits in its queues twice, which
    // corrupts its weight accounting; the storage must never go that way.
    const BUDGET: usize = 64 * KIB;
    let storage = storage(BUDGET, 8 * KIB);
    let body = vec![b'r'; KIB];
    for round in 0..400 {
        let churn = key(&format!("/churn/{}", round % 8));
        for _ in 0..2 {
            fill(storage, &churn, &meta("v1"), &[&body]).await;
            for _ in 0..3 {
                storage.lookup(&churn, &span()).await.unwrap();
            }
            let compact = churn.to_compact();
            storage
                .purge(
                    PurgeTarget::Active(&compact),
                    PurgeType::Invalidation,
                    &span(),
                )
                .await
                .unwrap();
        }
        fill(storage, &churn, &meta("v1"), &[&body]).await;
        storage.lookup(&churn, &span()).await.unwrap();
        storage.lookup(&churn, &span()).await.unwrap();
        if round % 3 == 0 {
            fill(
                storage,
                &key(&format!("/once/{round}")),
                &meta("v1"),
                &[&body],
            )
            .await;
        }
        assert!(storage.size_bytes() <= BUDGET);
    }
    let mut resident = 0;
    for round in 0..400 {
        for path in [format!("/churn/{}", round % 8), format!("/once/{round}")] {
            if storage
                .lookup(&key(&path), &span())
                .await
                .unwrap()
                .is_some()
            {
                resident += 1;
            }
        }
    }
    assert!(
        resident >= 8,
        "the churned keys are still cached: {resident}"
    );
    assert!(
        storage.len() > 40,
        "the cache still fills: {}",
        storage.len()
    );
}
