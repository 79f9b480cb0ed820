//! Keeps the running function host in step with the store: on start, and whenever any process
//! commits a change (a CLI command, the API), the stored functions are deployed into
//! `stratus_functions`. A function whose code or configuration did not change keeps its warm
//! environments.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use stratus_edge::router::{CustomPolicies, Deployed, EdgeConfig};
use stratus_functions::{FunctionHost, FunctionSpec};

use crate::code::CodeStore;
use crate::error::ControlError;
use crate::store::{FunctionRecord, Store};

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

/// Compiles every stored distribution and swaps the edge's table. A configuration that does
/// not compile leaves the previous table serving.
pub async fn apply_edge(store: &Store, edge: &EdgeTable) -> Result<(), ControlError> {
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
    let compiled = EdgeConfig::compile(&deployed, &CustomPolicies::default())?;
    edge.store(Arc::new(compiled));
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

/// Re-applies the store whenever its `data_version` moves (checked every `every`).
pub fn watch(
    store: Arc<Store>,
    code: CodeStore,
    host: FunctionHost,
    edge: EdgeTable,
    every: Duration,
) {
    tokio::spawn(async move {
        let mut last = store.data_version().await.ok();
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let Ok(v) = store.data_version().await else {
                continue;
            };
            if Some(v) != last {
                last = Some(v);
                if let Err(e) = apply_all(&store, &code, &host, &edge).await {
                    tracing::warn!("could not apply stored state: {e}");
                }
            }
        }
    });
}
