//! `stratus cache-policy …`, `stratus origin-request-policy …`, `stratus response-headers-policy
//! …`: custom CloudFront policies in the store (a running server picks the change up).

use std::path::Path;

use anyhow::Context;
use stratus_control::{PolicyConfig, PolicyKind, Store};

use crate::cli::PolicyAction;
use crate::server::{open_state, reload};

/// Runs one policy command.
pub(crate) async fn run(
    state: &Path,
    kind: PolicyKind,
    action: PolicyAction,
) -> anyhow::Result<()> {
    match action {
        PolicyAction::Create(file) => create(state, kind, &file).await,
        PolicyAction::List => list(state, kind).await,
        PolicyAction::Delete(id) => delete(state, kind, &id).await,
    }
}

/// `create`: prints the new policy's id and name.
async fn create(state: &Path, kind: PolicyKind, file: &Path) -> anyhow::Result<()> {
    // `aws cloudfront create-cache-policy --cache-policy-config file://p.json` spells it so.
    let file = file
        .to_str()
        .and_then(|f| f.strip_prefix("file://"))
        .map(Path::new)
        .unwrap_or(file);
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let config = PolicyConfig::from_json(kind, &text)?;
    let (store, _) = open_state(state).await?;
    let record = store.create_policy(&config).await?;
    reload(state).await;
    println!("{} {}", record.id, record.config.name());
    Ok(())
}

/// `list`: the managed policies, then the custom ones; id, name, type.
async fn list(state: &Path, kind: PolicyKind) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    for (id, name) in kind.managed_policies() {
        println!("{id:<36}  {name:<48}  managed");
    }
    for record in store.policies(kind).await? {
        println!("{:<36}  {:<48}  custom", record.id, record.config.name());
    }
    Ok(())
}

/// `delete`: by id or name; managed and in-use policies are refused.
async fn delete(state: &Path, kind: PolicyKind, id_or_name: &str) -> anyhow::Result<()> {
    let (store, _) = open_state(state).await?;
    let record = store.delete_policy(kind, id_or_name).await?;
    reload(state).await;
    println!(
        "Deleted {} {} ({})",
        kind.noun(),
        record.id,
        record.config.name()
    );
    Ok(())
}

/// The id of the policy of `kind` a user names: a managed policy's id or name, else a custom
/// policy's id or name (`NoSuchCachePolicy`… when there is none).
pub(crate) async fn resolve(
    store: &Store,
    kind: PolicyKind,
    name_or_id: &str,
) -> anyhow::Result<String> {
    if let Some((id, _)) = kind.managed(name_or_id) {
        return Ok(id.to_string());
    }
    match store.policy(kind, name_or_id).await? {
        Some(record) => Ok(record.id),
        None => anyhow::bail!(
            "{}: no managed or custom {} is called {name_or_id}",
            kind.no_such(),
            kind.noun()
        ),
    }
}
