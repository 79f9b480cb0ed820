//! Keeps the running function host and edge in step with the store: on start, and whenever any
//! process commits a change (a CLI command, the API), the stored functions are deployed into
//! `stratus_functions` and the stored distributions, with the stored custom policies, are
//! compiled into the edge's table. A function whose code or configuration did not change keeps
//! its warm environments.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use stratus_edge::router::{CustomPolicies, Deployed, EdgeConfig};
use stratus_functions::{FunctionHost, FunctionSpec};
use stratus_model::cloudfront::distribution::DistributionConfig;

use crate::code::CodeStore;
use crate::error::ControlError;
use crate::store::{FunctionRecord, PolicyConfig, PolicyKind, Store};

/// The spec a stored function runs with.
pub fn spec_of(code: &CodeStore, record: &FunctionRecord) -> FunctionSpec {
    FunctionSpec {
        config: record.config.clone(),
        code_dir: code.dir_for(&record.code_sha256),
        url: record.url.clone(),
    }
}

/// The edge's routing table, swapped whole on every deploy.
pub type EdgeTable = Arc<ArcSwap<EdgeConfig>>;

/// The stored custom policies, by id, as the edge looks them up.
pub async fn custom_policies(store: &Store) -> Result<CustomPolicies, ControlError> {
    let mut policies = CustomPolicies::default();
    for kind in PolicyKind::ALL {
        for record in store.policies(kind).await? {
            match record.config {
                PolicyConfig::Cache(c) => {
                    policies.cache.insert(record.id, Arc::new(c));
                }
                PolicyConfig::OriginRequest(c) => {
                    policies.origin_request.insert(record.id, Arc::new(c));
                }
                PolicyConfig::ResponseHeaders(c) => {
                    policies.response_headers.insert(record.id, Arc::new(c));
                }
            }
        }
    }
    Ok(policies)
}

async fn deployed(store: &Store) -> Result<Vec<Deployed>, ControlError> {
    let mut deployed = Vec::new();
    for d in store.distributions().await? {
        let invalidations = store
            .invalidations(&d.id)
            .await?
            .into_iter()
            .map(|i| {
                let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(i.created_ms);
                (i.paths, at)
            })
            .collect();
        deployed.push(Deployed {
            id: d.id,
            domain: d.domain,
            config: d.config,
            invalidations,
        });
    }
    Ok(deployed)
}

/// Compiles every stored distribution with the stored custom policies and swaps the edge's
/// table. A configuration that does not compile leaves the previous table serving.
pub async fn apply_edge(store: &Store, edge: &EdgeTable) -> Result<(), ControlError> {
    let deployed = deployed(store).await?;
    let compiled = EdgeConfig::compile(&deployed, &custom_policies(store).await?)?;
    edge.store(Arc::new(compiled));
    Ok(())
}

/// Compiles the stored distributions with a new one added, deploying nothing: what a create
/// runs before it stores the distribution, so that one the edge would refuse (a policy id
/// that is neither managed nor stored: `NoSuchCachePolicy`…; an alias another distribution
/// has: `CNAMEAlreadyExists`) is refused before anything is stored, and the running edge
/// keeps serving what it served.
pub async fn check_new_distribution(
    store: &Store,
    id: &str,
    domain: &str,
    config: &DistributionConfig,
) -> Result<(), ControlError> {
    let mut deployed = deployed(store).await?;
    deployed.push(Deployed {
        id: id.to_string(),
        domain: domain.to_string(),
        config: config.clone(),
        invalidations: Vec::new(),
    });
    EdgeConfig::compile(&deployed, &custom_policies(store).await?)?;
    Ok(())
}

/// Deploys every stored function into `host` and removes the ones no longer stored.
pub async fn apply(
    store: &Store,
    code: &CodeStore,
    host: &FunctionHost,
) -> Result<(), ControlError> {
    let records = store.functions().await?;
    let names: HashSet<String> = records
        .iter()
        .map(|r| r.config.function_name.clone())
        .collect();
    for record in &records {
        host.deploy(spec_of(code, record));
    }
    for name in host.function_names() {
        if !names.contains(&name) {
            host.remove(&name);
        }
    }
    Ok(())
}

/// Applies functions and distributions.
pub async fn apply_all(
    store: &Store,
    code: &CodeStore,
    host: &FunctionHost,
    edge: &EdgeTable,
) -> Result<(), ControlError> {
    apply(store, code, host).await?;
    apply_edge(store, edge).await
}

/// Applies the store to the running host and edge, once per change: the watcher (for
/// commits by any process) and `POST /_stratus/reload` (a CLI command asking for its change
/// now) share the record of the last `data_version` applied, so a change is applied once,
/// whichever notices it first, and never twice at the same time.
#[derive(Clone)]
pub struct Syncer {
    inner: Arc<SyncerInner>,
}

struct SyncerInner {
    store: Arc<Store>,
    code: CodeStore,
    host: FunctionHost,
    edge: EdgeTable,
    /// The `data_version` last applied; held while applying.
    applied: tokio::sync::Mutex<Option<i64>>,
    /// How many times the store was applied.
    applies: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer").finish_non_exhaustive()
    }
}

impl Syncer {
    /// A syncer for `store` into `host` and `edge`; nothing is applied yet.
    pub fn new(store: Arc<Store>, code: CodeStore, host: FunctionHost, edge: EdgeTable) -> Self {
        Self {
            inner: Arc::new(SyncerInner {
                store,
                code,
                host,
                edge,
                applied: tokio::sync::Mutex::new(None),
                applies: Default::default(),
            }),
        }
    }

    /// Applies the store now.
    pub async fn apply_now(&self) -> Result<(), ControlError> {
        let i = &self.inner;
        let mut applied = i.applied.lock().await;
        // Read before applying: a commit made meanwhile moves it again and is applied next.
        let version = i.store.data_version().await.ok();
        apply_all(&i.store, &i.code, &i.host, &i.edge).await?;
        i.applies.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *applied = version;
        Ok(())
    }

    /// Applies the store if it changed since it was last applied.
    async fn apply_if_changed(&self) -> Result<(), ControlError> {
        let i = &self.inner;
        let mut applied = i.applied.lock().await;
        let version = i.store.data_version().await?;
        if *applied == Some(version) {
            return Ok(());
        }
        apply_all(&i.store, &i.code, &i.host, &i.edge).await?;
        i.applies.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *applied = Some(version);
        Ok(())
    }

    /// Re-applies the store whenever its `data_version` moves (checked every `every`).
    pub fn watch(&self, every: Duration) {
        let syncer = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = syncer.apply_if_changed().await {
                    tracing::warn!("could not apply stored state: {e}");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_change_is_applied_once_whether_reload_or_the_watcher_sees_it_first() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.db");
        let store = Arc::new(Store::open(&db).await.unwrap());
        let host =
            FunctionHost::start(stratus_functions::HostSettings::new(dir.path().join("run")))
                .unwrap();
        let syncer = Syncer::new(
            store.clone(),
            CodeStore::new(dir.path().join("code")),
            host,
            EdgeTable::default(),
        );
        let applies = || {
            syncer
                .inner
                .applies
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        syncer.apply_now().await.unwrap();
        syncer.apply_if_changed().await.unwrap();
        assert_eq!(applies(), 1, "nothing changed");
        // Another process (the CLI) commits, then asks for a reload: the watcher's next look
        // finds the change already applied.
        let cli = Store::open(&db).await.unwrap();
        let config = DistributionConfig::from_json(
            r#"{"Enabled": true,
                "Origins": [{"Id": "o", "DomainName": "example.test",
                             "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}"#,
        )
        .unwrap();
        cli.create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
            .await
            .unwrap();
        syncer.apply_now().await.unwrap();
        syncer.apply_if_changed().await.unwrap();
        assert_eq!(applies(), 2);
        assert!(syncer
            .inner
            .edge
            .load()
            .distribution("d1.cloudfront.localhost")
            .is_some());
        // A commit nobody announced: the watcher applies it.
        cli.delete_distribution("E1ABCDEFGHIJKL").await.unwrap();
        syncer.apply_if_changed().await.unwrap();
        assert_eq!(applies(), 3);
    }

    #[tokio::test]
    async fn a_new_distribution_the_edge_would_refuse_is_refused_before_it_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db")).await.unwrap();
        let config = DistributionConfig::from_json(
            r#"{"Enabled": true, "Aliases": ["www.example.test"],
                "Origins": [{"Id": "o", "DomainName": "example.test",
                             "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}"#,
        )
        .unwrap();
        check_new_distribution(&store, "E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
            .await
            .unwrap();
        store
            .create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
            .await
            .unwrap();
        // The same alias again: CloudFront's CNAMEAlreadyExists, and the edge still compiles.
        let e =
            check_new_distribution(&store, "E2ABCDEFGHIJKL", "d2.cloudfront.localhost", &config)
                .await
                .unwrap_err();
        assert_eq!(e.aws_type(), "CNAMEAlreadyExists");
        let edge: EdgeTable = Arc::default();
        apply_edge(&store, &edge).await.unwrap();
        assert!(edge.load().distribution("www.example.test").is_some());
    }
}
