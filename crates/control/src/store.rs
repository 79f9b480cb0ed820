//! The state store: SQLite through sqlx, one file in the state directory, migrations in
//! `migrations/`. Several Stratus processes (a running server and CLI commands) share it: WAL
//! mode, a busy timeout, and `PRAGMA data_version` to notice another process's commit.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Connection, Row, SqliteConnection, SqlitePool};
use stratus_model::{FunctionConfig, FunctionUrlConfig};
use tokio::sync::Mutex;

use crate::error::ControlError;

mod policies;

pub use policies::{PolicyConfig, PolicyKind, PolicyRecord};

/// A stored function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRecord {
    /// Its configuration.
    pub config: FunctionConfig,
    /// Lambda's `CodeSha256`.
    pub code_sha256: String,
    /// Lambda's `CodeSize`.
    pub code_size: u64,
    /// Lambda's `RevisionId`, new on every change.
    pub revision_id: String,
    /// ISO-8601.
    pub last_modified: String,
    /// Its URL, if any.
    pub url: Option<FunctionUrlConfig>,
}

/// The store.
#[derive(Debug)]
pub struct Store {
    pool: SqlitePool,
    /// A connection of its own: `data_version` is per connection.
    watch: Mutex<SqliteConnection>,
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

/// A stored row (or one about to be stored) that does not read back: Lambda's 500
/// `ServiceException`, never the caller's fault.
fn corrupt(what: &str, e: impl std::fmt::Display) -> ControlError {
    ControlError::Service(format!("stored {what} is invalid: {e}"))
}

impl Store {
    /// Opens (creating if needed) the store at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, ControlError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(ControlError::io("creating the state directory"))?;
        }
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| ControlError::Store(e.into()))?;
        let watch = SqliteConnection::connect_with(&options).await?;
        Ok(Self {
            pool,
            watch: Mutex::new(watch),
        })
    }

    /// Changes whenever another connection commits (SQLite's `PRAGMA data_version`).
    pub async fn data_version(&self) -> Result<i64, ControlError> {
        let mut conn = self.watch.lock().await;
        let row = sqlx::query("PRAGMA data_version")
            .fetch_one(&mut *conn)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Creates a function; Lambda's 409 if it exists.
    pub async fn create_function(
        &self,
        config: &FunctionConfig,
        code_sha256: &str,
        code_size: u64,
    ) -> Result<FunctionRecord, ControlError> {
        let json = serde_json::to_string(config).map_err(|e| corrupt("configuration", e))?;
        let t = now();
        let revision = uuid::Uuid::new_v4().to_string();
        let result = sqlx::query(
            "INSERT INTO functions (name, config, code_sha256, code_size, revision_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&config.function_name)
        .bind(&json)
        .bind(code_sha256)
        .bind(code_size as i64)
        .bind(&revision)
        .bind(&t)
        .bind(&t)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(ControlError::Conflict(format!(
                    "Function already exist: {}",
                    config.function_name
                )))
            }
            Err(e) => return Err(e.into()),
        }
        self.function(&config.function_name)
            .await?
            .ok_or_else(|| ControlError::NotFound(config.function_name.clone()))
    }

    /// Replaces a function's configuration and/or code.
    pub async fn update_function(
        &self,
        config: &FunctionConfig,
        code: Option<(&str, u64)>,
    ) -> Result<FunctionRecord, ControlError> {
        let json = serde_json::to_string(config).map_err(|e| corrupt("configuration", e))?;
        let mut q =
            String::from("UPDATE functions SET config = ?, revision_id = ?, updated_at = ?");
        if code.is_some() {
            q.push_str(", code_sha256 = ?, code_size = ?");
        }
        q.push_str(" WHERE name = ?");
        let mut query = sqlx::query(&q)
            .bind(json)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(now());
        if let Some((sha, size)) = code {
            query = query.bind(sha.to_string()).bind(size as i64);
        }
        let done = query
            .bind(&config.function_name)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(ControlError::NotFound(format!(
                "Function not found: {}",
                config.function_name
            )));
        }
        self.function(&config.function_name)
            .await?
            .ok_or_else(|| ControlError::NotFound(config.function_name.clone()))
    }

    /// A function by name.
    pub async fn function(&self, name: &str) -> Result<Option<FunctionRecord>, ControlError> {
        let rows = self.query_functions(Some(name)).await?;
        Ok(rows.into_iter().next())
    }

    /// Every function, by name.
    pub async fn functions(&self) -> Result<Vec<FunctionRecord>, ControlError> {
        self.query_functions(None).await
    }

    async fn query_functions(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<FunctionRecord>, ControlError> {
        let sql = "SELECT f.name, f.config, f.code_sha256, f.code_size, f.revision_id, f.updated_at, u.config AS url
                   FROM functions f LEFT JOIN function_urls u ON u.function_name = f.name
                   WHERE (?1 IS NULL OR f.name = ?1) ORDER BY f.name";
        let rows = sqlx::query(sql).bind(name).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|row| {
                let config: String = row.try_get("config")?;
                let config: FunctionConfig =
                    serde_json::from_str(&config).map_err(|e| corrupt("configuration", e))?;
                let url: Option<String> = row.try_get("url")?;
                let url = url
                    .map(|u| serde_json::from_str(&u))
                    .transpose()
                    .map_err(|e| corrupt("URL configuration", e))?;
                Ok(FunctionRecord {
                    config,
                    code_sha256: row.try_get("code_sha256")?,
                    code_size: row.try_get::<i64, _>("code_size")? as u64,
                    revision_id: row.try_get("revision_id")?,
                    last_modified: row.try_get("updated_at")?,
                    url,
                })
            })
            .collect()
    }

    /// Deletes a function (and its URL). False if there was none.
    pub async fn delete_function(&self, name: &str) -> Result<bool, ControlError> {
        let done = sqlx::query("DELETE FROM functions WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Creates or replaces a function's URL configuration.
    pub async fn put_url(&self, name: &str, url: &FunctionUrlConfig) -> Result<(), ControlError> {
        let json = serde_json::to_string(url).map_err(|e| corrupt("URL configuration", e))?;
        let t = now();
        let done = sqlx::query(
            "INSERT INTO function_urls (function_name, url_id, config, created_at, updated_at)
             SELECT name, ?, ?, ?, ? FROM functions WHERE name = ?
             ON CONFLICT(function_name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
        )
        .bind(&url.url_id)
        .bind(&json)
        .bind(&t)
        .bind(&t)
        .bind(name)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ControlError::NotFound(format!(
                "Function not found: {name}"
            )));
        }
        Ok(())
    }

    /// Deletes a function's URL. False if there was none.
    pub async fn delete_url(&self, name: &str) -> Result<bool, ControlError> {
        let done = sqlx::query("DELETE FROM function_urls WHERE function_name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// A stored distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRecord {
    /// `E…`.
    pub id: String,
    /// Its own domain.
    pub domain: String,
    /// The configuration.
    pub config: stratus_model::cloudfront::distribution::DistributionConfig,
    /// Changes on every update.
    pub etag: String,
    /// ISO-8601.
    pub last_modified: String,
}

impl Store {
    /// Stores a new distribution (its configuration already validated). Every policy id its
    /// behaviors name must be managed or stored (`NoSuchCachePolicy`…); nothing is stored
    /// otherwise.
    pub async fn create_distribution(
        &self,
        id: &str,
        domain: &str,
        config: &stratus_model::cloudfront::distribution::DistributionConfig,
    ) -> Result<DistributionRecord, ControlError> {
        let json = serde_json::to_string(config).map_err(|e| corrupt("distribution", e))?;
        let t = now();
        // IMMEDIATE: no policy it names can be deleted between the check and the insert.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        policies::check_references(&mut tx, config).await?;
        sqlx::query(
            "INSERT INTO distributions (id, domain, config, etag, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(domain)
        .bind(&json)
        .bind(etag())
        .bind(&t)
        .bind(&t)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.distribution(id)
            .await?
            .ok_or_else(|| ControlError::NotFound(id.to_string()))
    }

    /// A distribution by id.
    pub async fn distribution(&self, id: &str) -> Result<Option<DistributionRecord>, ControlError> {
        Ok(self.query_distributions(Some(id)).await?.into_iter().next())
    }

    /// Every distribution, by id.
    pub async fn distributions(&self) -> Result<Vec<DistributionRecord>, ControlError> {
        self.query_distributions(None).await
    }

    async fn query_distributions(
        &self,
        id: Option<&str>,
    ) -> Result<Vec<DistributionRecord>, ControlError> {
        let rows = sqlx::query(
            "SELECT id, domain, config, etag, updated_at FROM distributions
             WHERE (?1 IS NULL OR id = ?1) ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let config: String = row.try_get("config")?;
                Ok(DistributionRecord {
                    id: row.try_get("id")?,
                    domain: row.try_get("domain")?,
                    config: serde_json::from_str(&config)
                        .map_err(|e| corrupt("distribution", e))?,
                    etag: row.try_get("etag")?,
                    last_modified: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Deletes a distribution. False if there was none.
    pub async fn delete_distribution(&self, id: &str) -> Result<bool, ControlError> {
        let done = sqlx::query("DELETE FROM distributions WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

/// A stored invalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidationRecord {
    /// `I…`.
    pub id: String,
    /// Its distribution.
    pub distribution_id: String,
    /// The paths.
    pub paths: Vec<String>,
    /// When it was made, milliseconds since the epoch.
    pub created_ms: u64,
}

impl Store {
    /// Records an invalidation of `paths` (already validated) on distribution `id`.
    pub async fn create_invalidation(
        &self,
        distribution_id: &str,
        paths: &[String],
    ) -> Result<InvalidationRecord, ControlError> {
        if self.distribution(distribution_id).await?.is_none() {
            return Err(ControlError::CloudFront {
                kind: "NoSuchDistribution",
                status: 404,
                message: format!("The specified distribution does not exist: {distribution_id}"),
            });
        }
        let record = InvalidationRecord {
            id: format!(
                "I{}",
                stratus_model::ids::alphanumeric(13).to_ascii_uppercase()
            ),
            distribution_id: distribution_id.to_string(),
            paths: paths.to_vec(),
            created_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis() as u64,
        };
        sqlx::query(
            "INSERT INTO invalidations (id, distribution_id, paths, created_ms) VALUES (?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(&record.distribution_id)
        .bind(serde_json::to_string(&record.paths).map_err(|e| corrupt("invalidation", e))?)
        .bind(record.created_ms as i64)
        .execute(&self.pool)
        .await?;
        Ok(record)
    }

    /// The invalidations of a distribution, oldest first.
    pub async fn invalidations(
        &self,
        distribution_id: &str,
    ) -> Result<Vec<InvalidationRecord>, ControlError> {
        let rows = sqlx::query(
            "SELECT id, distribution_id, paths, created_ms FROM invalidations
             WHERE distribution_id = ? ORDER BY created_ms",
        )
        .bind(distribution_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let paths: String = row.try_get("paths")?;
                Ok(InvalidationRecord {
                    id: row.try_get("id")?,
                    distribution_id: row.try_get("distribution_id")?,
                    paths: serde_json::from_str(&paths).map_err(|e| corrupt("invalidation", e))?,
                    created_ms: row.try_get::<i64, _>("created_ms")? as u64,
                })
            })
            .collect()
    }
}

/// CloudFront ETags look like `E2QWRUHEXAMPLE`.
fn etag() -> String {
    format!(
        "E{}",
        stratus_model::ids::alphanumeric(13).to_ascii_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_model::{AuthType, InvokeMode, Runtime};

    #[tokio::test]
    async fn functions_and_urls_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path).await.unwrap();
        let v0 = store.data_version().await.unwrap();
        let config = FunctionConfig::new("f1", Runtime::Nodejs20).unwrap();
        let rec = store.create_function(&config, "abc=", 10).await.unwrap();
        assert_eq!(rec.config, config);
        let again = store
            .create_function(&config, "abc=", 10)
            .await
            .unwrap_err();
        assert_eq!(again.aws_type(), "ResourceConflictException");
        let url = FunctionUrlConfig {
            url_id: stratus_model::ids::url_id(),
            auth_type: AuthType::None,
            invoke_mode: InvokeMode::Buffered,
            cors: None,
        };
        store.put_url("f1", &url).await.unwrap();
        assert!(store.put_url("nope", &url).await.is_err());
        drop(store);

        let store = Store::open(&path).await.unwrap();
        let rec = store.function("f1").await.unwrap().unwrap();
        assert_eq!(rec.url, Some(url));
        // Another connection's commit moves data_version.
        let other = Store::open(&path).await.unwrap();
        let before = store.data_version().await.unwrap();
        other.delete_url("f1").await.unwrap();
        assert_ne!(store.data_version().await.unwrap(), before);
        let _ = v0;
        assert!(store.delete_function("f1").await.unwrap());
        assert!(store.functions().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn distributions_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db")).await.unwrap();
        let config = stratus_model::cloudfront::distribution::DistributionConfig::from_json(
            r#"{"Enabled": true,
                "Origins": [{"Id": "o", "DomainName": "example.test",
                             "CustomOriginConfig": {"OriginProtocolPolicy": "https-only"}}],
                "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}"#,
        )
        .unwrap();
        let rec = store
            .create_distribution("E1ABCDEFGHIJKL", "d1.cloudfront.localhost", &config)
            .await
            .unwrap();
        assert_eq!(rec.config, config);
        assert!(rec.etag.starts_with('E'));
        assert_eq!(store.distributions().await.unwrap().len(), 1);
        assert!(store.delete_distribution("E1ABCDEFGHIJKL").await.unwrap());
        assert!(store
            .distribution("E1ABCDEFGHIJKL")
            .await
            .unwrap()
            .is_none());
    }
}
