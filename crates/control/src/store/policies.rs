//! Custom (non-managed) CloudFront policies in the store: cache, origin request and response
//! headers policies, one table for the three kinds (`migrations/0004_policies.sql`).
//!
//! The store keeps references whole, as CloudFront does: a distribution can only be stored
//! when every policy id its behaviors name is managed or stored (`NoSuchCachePolicy`…), and a
//! policy a stored distribution uses cannot be deleted (`CachePolicyInUse`…). Managed policies
//! live in the model and are never stored; deleting one is `IllegalDelete`.

use serde_json::Value;
use sqlx::{Row, SqliteConnection};
use stratus_model::cloudfront::distribution::{DefaultCacheBehavior, DistributionConfig};
use stratus_model::cloudfront::policies::{
    self, CachePolicyConfig, OriginRequestPolicyConfig, ResponseHeadersPolicyConfig,
};
use stratus_model::ValidationError;

use super::{corrupt, etag, now, Store};
use crate::error::ControlError;

/// One of CloudFront's three policy kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// `AWS::CloudFront::CachePolicy`.
    Cache,
    /// `AWS::CloudFront::OriginRequestPolicy`.
    OriginRequest,
    /// `AWS::CloudFront::ResponseHeadersPolicy`.
    ResponseHeaders,
}

impl PolicyKind {
    /// The three kinds.
    pub const ALL: [PolicyKind; 3] = [
        PolicyKind::Cache,
        PolicyKind::OriginRequest,
        PolicyKind::ResponseHeaders,
    ];

    /// As stored, and as the CLI's commands start: `cache`, `origin-request`,
    /// `response-headers`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cache => "cache",
            Self::OriginRequest => "origin-request",
            Self::ResponseHeaders => "response-headers",
        }
    }

    /// In messages: `cache policy`, `origin request policy`, `response headers policy`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Cache => "cache policy",
            Self::OriginRequest => "origin request policy",
            Self::ResponseHeaders => "response headers policy",
        }
    }

    /// The configuration's API name: `CachePolicyConfig`…
    pub fn config_name(self) -> &'static str {
        match self {
            Self::Cache => "CachePolicyConfig",
            Self::OriginRequest => "OriginRequestPolicyConfig",
            Self::ResponseHeaders => "ResponseHeadersPolicyConfig",
        }
    }

    /// The resource's API name, which `get-cache-policy` and its siblings wrap the
    /// configuration in: `CachePolicy`…
    fn resource_name(self) -> &'static str {
        match self {
            Self::Cache => "CachePolicy",
            Self::OriginRequest => "OriginRequestPolicy",
            Self::ResponseHeaders => "ResponseHeadersPolicy",
        }
    }

    /// `CachePolicyAlreadyExists`… (409).
    fn already_exists(self) -> &'static str {
        match self {
            Self::Cache => "CachePolicyAlreadyExists",
            Self::OriginRequest => "OriginRequestPolicyAlreadyExists",
            Self::ResponseHeaders => "ResponseHeadersPolicyAlreadyExists",
        }
    }

    /// `CachePolicyInUse`… (409).
    fn in_use(self) -> &'static str {
        match self {
            Self::Cache => "CachePolicyInUse",
            Self::OriginRequest => "OriginRequestPolicyInUse",
            Self::ResponseHeaders => "ResponseHeadersPolicyInUse",
        }
    }

    /// `NoSuchCachePolicy`… (404).
    pub fn no_such(self) -> &'static str {
        match self {
            Self::Cache => "NoSuchCachePolicy",
            Self::OriginRequest => "NoSuchOriginRequestPolicy",
            Self::ResponseHeaders => "NoSuchResponseHeadersPolicy",
        }
    }

    /// The managed policy of this kind with this id, bare name (`CachingOptimized`) or API
    /// name (`Managed-CachingOptimized`): its id and the name the API lists.
    pub fn managed(self, name_or_id: &str) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Cache => {
                policies::cache_policy(name_or_id).map(|m| (m.id, m.config.name.as_str()))
            }
            Self::OriginRequest => {
                policies::origin_request_policy(name_or_id).map(|m| (m.id, m.config.name.as_str()))
            }
            Self::ResponseHeaders => policies::response_headers_policy(name_or_id)
                .map(|m| (m.id, m.config.name.as_str())),
        }
    }

    /// Every managed policy of this kind: id and the name the API lists.
    pub fn managed_policies(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Self::Cache => policies::managed_cache_policies()
                .iter()
                .map(|m| (m.id, m.config.name.as_str()))
                .collect(),
            Self::OriginRequest => policies::managed_origin_request_policies()
                .iter()
                .map(|m| (m.id, m.config.name.as_str()))
                .collect(),
            Self::ResponseHeaders => policies::managed_response_headers_policies()
                .iter()
                .map(|m| (m.id, m.config.name.as_str()))
                .collect(),
        }
    }

    /// The policy id of this kind a behavior names, if any.
    pub fn id_in(self, b: &DefaultCacheBehavior) -> Option<&str> {
        match self {
            Self::Cache => b.cache_policy_id.as_deref(),
            Self::OriginRequest => b.origin_request_policy_id.as_deref(),
            Self::ResponseHeaders => b.response_headers_policy_id.as_deref(),
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == stored)
    }
}

/// A policy's configuration, of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyConfig {
    /// A `CachePolicyConfig`.
    Cache(CachePolicyConfig),
    /// An `OriginRequestPolicyConfig`.
    OriginRequest(OriginRequestPolicyConfig),
    /// A `ResponseHeadersPolicyConfig`.
    ResponseHeaders(ResponseHeadersPolicyConfig),
}

impl PolicyConfig {
    /// Its kind.
    pub fn kind(&self) -> PolicyKind {
        match self {
            Self::Cache(_) => PolicyKind::Cache,
            Self::OriginRequest(_) => PolicyKind::OriginRequest,
            Self::ResponseHeaders(_) => PolicyKind::ResponseHeaders,
        }
    }

    /// Its `Name`.
    pub fn name(&self) -> &str {
        match self {
            Self::Cache(c) => &c.name,
            Self::OriginRequest(c) => &c.name,
            Self::ResponseHeaders(c) => &c.name,
        }
    }

    /// CloudFront's rules for its kind, with the default quotas.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Cache(c) => c.validate(),
            Self::OriginRequest(c) => c.validate(),
            Self::ResponseHeaders(c) => c.validate(),
        }
    }

    /// Reads a configuration of `kind` from JSON: bare (the API's shape or CloudFormation's),
    /// or wrapped as `aws cloudfront get-cache-policy` prints it
    /// (`{"CachePolicy": {"Id": …, "CachePolicyConfig": {…}}}`) or `get-cache-policy-config`
    /// does (`{"ETag": …, "CachePolicyConfig": {…}}`), and likewise for the other kinds.
    ///
    /// Not JSON, or not the kind's shape, is `InvalidArgument`; a `Quantity` that disagrees
    /// with its `Items` is `InconsistentQuantities`. The rules are checked by
    /// [`validate`](Self::validate), not here.
    pub fn from_json(kind: PolicyKind, text: &str) -> Result<Self, ValidationError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ValidationError {
            kind: "InvalidArgument",
            message: format!("The {} is not valid JSON: {e}", kind.config_name()),
        })?;
        let wrapped = [
            format!("/{}/{}", kind.resource_name(), kind.config_name()),
            format!("/{}", kind.config_name()),
        ]
        .into_iter()
        .find_map(|pointer| value.pointer(&pointer).cloned());
        Self::from_value(kind, wrapped.unwrap_or(value)).map_err(|e| unreadable(kind, e))
    }

    fn from_value(kind: PolicyKind, value: Value) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            PolicyKind::Cache => Self::Cache(serde_json::from_value(value)?),
            PolicyKind::OriginRequest => Self::OriginRequest(serde_json::from_value(value)?),
            PolicyKind::ResponseHeaders => Self::ResponseHeaders(serde_json::from_value(value)?),
        })
    }

    /// The API's shape, as stored.
    fn to_json(&self) -> Result<String, serde_json::Error> {
        match self {
            Self::Cache(c) => serde_json::to_string(c),
            Self::OriginRequest(c) => serde_json::to_string(c),
            Self::ResponseHeaders(c) => serde_json::to_string(c),
        }
    }
}

/// A serde error as CloudFront reports a body it cannot read.
fn unreadable(kind: PolicyKind, e: serde_json::Error) -> ValidationError {
    let text = e.to_string();
    // The model's list reader's wording for a Quantity that disagrees with its Items.
    if text.starts_with("Quantity ") && text.contains(" does not match the ") {
        return ValidationError {
            kind: "InconsistentQuantities",
            message: text,
        };
    }
    ValidationError {
        kind: "InvalidArgument",
        message: format!("The {} could not be read: {text}", kind.config_name()),
    }
}

/// A stored custom policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRecord {
    /// A UUID, as CloudFront's.
    pub id: String,
    /// The configuration (its kind is the record's).
    pub config: PolicyConfig,
    /// Changes on every update.
    pub etag: String,
    /// ISO-8601.
    pub created: String,
    /// ISO-8601.
    pub last_modified: String,
}

fn cloudfront(kind: &'static str, status: u16, message: String) -> ControlError {
    ControlError::CloudFront {
        kind,
        status,
        message,
    }
}

fn already_exists(kind: PolicyKind, name: &str, managed: Option<&str>) -> ControlError {
    let whose = match managed {
        Some(id) => format!(" (the managed {} {id})", kind.noun()),
        None => String::new(),
    };
    cloudfront(
        kind.already_exists(),
        409,
        format!(
            "A {} with this name already exists{whose}: {name}. You must provide a unique name.",
            kind.noun()
        ),
    )
}

fn no_such(kind: PolicyKind, id: &str) -> ControlError {
    cloudfront(
        kind.no_such(),
        404,
        format!("The specified {} does not exist: {id}", kind.noun()),
    )
}

/// The behaviors of a distribution: the default one, then the ordered ones.
fn behaviors(config: &DistributionConfig) -> impl Iterator<Item = &DefaultCacheBehavior> {
    std::iter::once(&config.default_cache_behavior)
        .chain(config.cache_behaviors.iter().map(|c| &c.behavior))
}

async fn query_policies(
    conn: &mut SqliteConnection,
    kind: PolicyKind,
    id_or_name: Option<&str>,
) -> Result<Vec<PolicyRecord>, ControlError> {
    // An id match wins over a name match.
    let rows = sqlx::query(
        "SELECT id, kind, config, etag, created_at, updated_at FROM policies
         WHERE kind = ?1 AND (?2 IS NULL OR id = ?2 OR name = ?2)
         ORDER BY (id = ?2) DESC, name",
    )
    .bind(kind.as_str())
    .bind(id_or_name)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let stored: String = row.try_get("kind")?;
            let kind = PolicyKind::parse(&stored)
                .ok_or_else(|| corrupt("policy kind", format!("unknown kind {stored}")))?;
            let config: String = row.try_get("config")?;
            let config: Value =
                serde_json::from_str(&config).map_err(|e| corrupt(kind.noun(), e))?;
            Ok(PolicyRecord {
                id: row.try_get("id")?,
                config: PolicyConfig::from_value(kind, config)
                    .map_err(|e| corrupt(kind.noun(), e))?,
                etag: row.try_get("etag")?,
                created: row.try_get("created_at")?,
                last_modified: row.try_get("updated_at")?,
            })
        })
        .collect()
}

/// Refuses a distribution naming a policy id that is neither managed nor stored
/// (`NoSuchCachePolicy`…). Runs inside the transaction that stores the distribution.
pub(super) async fn check_references(
    conn: &mut SqliteConnection,
    config: &DistributionConfig,
) -> Result<(), ControlError> {
    for b in behaviors(config) {
        for kind in PolicyKind::ALL {
            let Some(id) = kind.id_in(b) else { continue };
            if kind.managed(id).is_some() {
                continue;
            }
            let found = sqlx::query("SELECT 1 FROM policies WHERE kind = ? AND id = ?")
                .bind(kind.as_str())
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            if found.is_none() {
                return Err(no_such(kind, id));
            }
        }
    }
    Ok(())
}

/// The stored distributions whose behaviors use the policy `id` of `kind`.
async fn distributions_using(
    conn: &mut SqliteConnection,
    kind: PolicyKind,
    id: &str,
) -> Result<Vec<String>, ControlError> {
    let rows = sqlx::query("SELECT id, config FROM distributions ORDER BY id")
        .fetch_all(conn)
        .await?;
    let mut users = Vec::new();
    for row in rows {
        let config: String = row.try_get("config")?;
        let config: DistributionConfig =
            serde_json::from_str(&config).map_err(|e| corrupt("distribution", e))?;
        if behaviors(&config).any(|b| kind.id_in(b) == Some(id)) {
            users.push(row.try_get("id")?);
        }
    }
    Ok(users)
}

impl Store {
    /// Stores a new custom policy under a new id. The configuration is checked with
    /// CloudFront's rules and default quotas; a name that a custom or managed policy of the
    /// same kind already has is refused (`CachePolicyAlreadyExists`…).
    pub async fn create_policy(&self, config: &PolicyConfig) -> Result<PolicyRecord, ControlError> {
        config.validate()?;
        let kind = config.kind();
        let name = config.name();
        if let Some((id, _)) = kind.managed(name) {
            return Err(already_exists(kind, name, Some(id)));
        }
        let json = config.to_json().map_err(|e| corrupt(kind.noun(), e))?;
        let record = PolicyRecord {
            // CloudFront's policy ids are UUIDs (version 4), like the managed ones.
            id: uuid::Uuid::new_v4().to_string(),
            config: config.clone(),
            etag: etag(),
            created: now(),
            last_modified: now(),
        };
        let result = sqlx::query(
            "INSERT INTO policies (id, kind, name, config, etag, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(kind.as_str())
        .bind(name)
        .bind(&json)
        .bind(&record.etag)
        .bind(&record.created)
        .bind(&record.last_modified)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(record),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(already_exists(kind, name, None))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The custom policies of `kind`, by name.
    pub async fn policies(&self, kind: PolicyKind) -> Result<Vec<PolicyRecord>, ControlError> {
        let mut conn = self.pool.acquire().await?;
        query_policies(&mut conn, kind, None).await
    }

    /// The custom policy of `kind` with this id, or else with this name.
    pub async fn policy(
        &self,
        kind: PolicyKind,
        id_or_name: &str,
    ) -> Result<Option<PolicyRecord>, ControlError> {
        let mut conn = self.pool.acquire().await?;
        Ok(query_policies(&mut conn, kind, Some(id_or_name))
            .await?
            .into_iter()
            .next())
    }

    /// Deletes the custom policy of `kind` with this id (or name) and returns it. Refused for
    /// a managed policy (`IllegalDelete`), for one a stored distribution uses
    /// (`CachePolicyInUse`…) and for an unknown one (`NoSuchCachePolicy`…).
    pub async fn delete_policy(
        &self,
        kind: PolicyKind,
        id_or_name: &str,
    ) -> Result<PolicyRecord, ControlError> {
        if let Some((id, name)) = kind.managed(id_or_name) {
            return Err(cloudfront(
                "IllegalDelete",
                400,
                format!(
                    "You cannot delete a managed {}: {name} ({id}).",
                    kind.noun()
                ),
            ));
        }
        // IMMEDIATE: no distribution can start using the policy between the check and the
        // delete.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let Some(record) = query_policies(&mut tx, kind, Some(id_or_name))
            .await?
            .into_iter()
            .next()
        else {
            return Err(no_such(kind, id_or_name));
        };
        let users = distributions_using(&mut tx, kind, &record.id).await?;
        if !users.is_empty() {
            return Err(cloudfront(
                kind.in_use(),
                409,
                format!(
                    "Cannot delete the {} because it is attached to one or more cache behaviors (distribution {}).",
                    kind.noun(),
                    users.join(", ")
                ),
            ));
        }
        sqlx::query("DELETE FROM policies WHERE id = ?")
            .bind(&record.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests;
