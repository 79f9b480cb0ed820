//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Stratus: CloudFront + Lambda Function URLs, self-hosted, in one binary.
#[derive(Debug, Parser)]
#[command(name = "stratus", version, about)]
pub(crate) struct Cli {
    /// State directory (SQLite store, code, logs, certificates).
    #[arg(
        long,
        global = true,
        env = "STRATUS_STATE_DIR",
        default_value = ".stratus"
    )]
    pub(crate) state_dir: PathBuf,
    /// Configuration file (TOML). Default: <state-dir>/config.toml when present.
    #[arg(long, global = true, env = "STRATUS_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run Stratus: every stored function and its URL (the first start creates the default
    /// Node.js function).
    Up(UpArgs),
    /// Manage functions.
    #[command(subcommand)]
    Function(FunctionCommand),
    /// Manage CloudFront distributions.
    #[command(subcommand)]
    Distribution(DistributionCommand),
    /// Manage cache policies (custom ones; managed ones are listed too).
    #[command(subcommand)]
    CachePolicy(CachePolicyCommand),
    /// Manage origin request policies (custom ones; managed ones are listed too).
    #[command(subcommand)]
    OriginRequestPolicy(OriginRequestPolicyCommand),
    /// Manage response headers policies (custom ones; managed ones are listed too).
    #[command(subcommand)]
    ResponseHeadersPolicy(ResponseHeadersPolicyCommand),
    /// Invalidate cached objects of a distribution by path (`/images/*`, `/index.html`).
    Invalidate {
        /// Distribution id (E…).
        distribution: String,
        /// Paths; `*` may end a path.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Print a function's log (START/END/REPORT and everything it wrote).
    Logs {
        /// Function name.
        name: String,
        /// Keep printing new lines.
        #[arg(long, short)]
        follow: bool,
    },
    /// Print the path of the local development CA certificate (trust it with
    /// `curl --cacert PATH`, or add it to your system or browser store).
    Ca,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DistributionCommand {
    /// Create a distribution and print its URL.
    Create(DistributionArgs),
    /// List distributions.
    List,
    /// Delete a distribution.
    Delete {
        /// Distribution id (E…).
        id: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DistributionArgs {
    /// A DistributionConfig as JSON (what `aws cloudfront get-distribution-config` prints, or
    /// CloudFormation's shape); the other options are then ignored.
    #[arg(long, value_name = "FILE", conflicts_with = "origin")]
    pub(crate) distribution_config: Option<PathBuf>,
    /// The origin: a domain name or a URL (`https://<id>.lambda-url.<region>.on.aws/` is fine;
    /// a port in it becomes the origin's HTTPS or HTTP port).
    #[arg(long, required_unless_present = "distribution_config")]
    pub(crate) origin: Option<String>,
    /// How the edge reaches the origin: https-only, http-only or match-viewer.
    #[arg(long, default_value = "https-only")]
    pub(crate) origin_protocol_policy: String,
    /// Viewer protocol policy: allow-all, redirect-to-https or https-only.
    #[arg(long, default_value = "redirect-to-https")]
    pub(crate) viewer_protocol_policy: String,
    /// Cache policy: a managed policy's name (CachingOptimized, Managed-CachingDisabled…), a
    /// custom policy's name, or an id.
    #[arg(long, default_value = "CachingOptimized")]
    pub(crate) cache_policy: String,
    /// Origin request policy: a managed or custom policy's name, or an id.
    #[arg(long)]
    pub(crate) origin_request_policy: Option<String>,
    /// Response headers policy: a managed or custom policy's name, or an id.
    #[arg(long)]
    pub(crate) response_headers_policy: Option<String>,
    /// A custom header sent to the origin, NAME=VALUE (repeatable).
    #[arg(long = "origin-header", value_name = "NAME=VALUE")]
    pub(crate) origin_headers: Vec<String>,
    /// An alternate domain name (repeatable).
    #[arg(long = "alias")]
    pub(crate) aliases: Vec<String>,
    /// Compress objects automatically.
    #[arg(long)]
    pub(crate) compress: bool,
    /// Write CloudFront standard access logs for this distribution (`Logging` enabled), to
    /// `<state>/logs/cloudfront/<id>.log`.
    #[arg(long)]
    pub(crate) access_log: bool,
}

/// What a policy command does, whatever the kind.
#[derive(Debug)]
pub(crate) enum PolicyAction {
    /// Create from a configuration file.
    Create(PathBuf),
    /// List managed and custom policies.
    List,
    /// Delete a custom policy by id or name.
    Delete(String),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CachePolicyCommand {
    /// Create a cache policy and print its id and name.
    Create {
        /// A CachePolicyConfig as JSON: the API's shape (what `aws cloudfront
        /// get-cache-policy-config` or `get-cache-policy` prints is fine) or CloudFormation's.
        #[arg(long, value_name = "FILE")]
        cache_policy_config: PathBuf,
    },
    /// List cache policies: id, name, managed or custom.
    List,
    /// Delete a custom cache policy that no distribution uses.
    Delete {
        /// Its id or name.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OriginRequestPolicyCommand {
    /// Create an origin request policy and print its id and name.
    Create {
        /// An OriginRequestPolicyConfig as JSON: the API's shape (what `aws cloudfront
        /// get-origin-request-policy-config` or `get-origin-request-policy` prints is fine) or
        /// CloudFormation's.
        #[arg(long, value_name = "FILE")]
        origin_request_policy_config: PathBuf,
    },
    /// List origin request policies: id, name, managed or custom.
    List,
    /// Delete a custom origin request policy that no distribution uses.
    Delete {
        /// Its id or name.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ResponseHeadersPolicyCommand {
    /// Create a response headers policy and print its id and name.
    Create {
        /// A ResponseHeadersPolicyConfig as JSON: the API's shape (what `aws cloudfront
        /// get-response-headers-policy-config` or `get-response-headers-policy` prints is fine)
        /// or CloudFormation's.
        #[arg(long, value_name = "FILE")]
        response_headers_policy_config: PathBuf,
    },
    /// List response headers policies: id, name, managed or custom.
    List,
    /// Delete a custom response headers policy that no distribution uses.
    Delete {
        /// Its id or name.
        id: String,
    },
}

impl From<CachePolicyCommand> for PolicyAction {
    fn from(c: CachePolicyCommand) -> Self {
        match c {
            CachePolicyCommand::Create {
                cache_policy_config,
            } => Self::Create(cache_policy_config),
            CachePolicyCommand::List => Self::List,
            CachePolicyCommand::Delete { id } => Self::Delete(id),
        }
    }
}

impl From<OriginRequestPolicyCommand> for PolicyAction {
    fn from(c: OriginRequestPolicyCommand) -> Self {
        match c {
            OriginRequestPolicyCommand::Create {
                origin_request_policy_config,
            } => Self::Create(origin_request_policy_config),
            OriginRequestPolicyCommand::List => Self::List,
            OriginRequestPolicyCommand::Delete { id } => Self::Delete(id),
        }
    }
}

impl From<ResponseHeadersPolicyCommand> for PolicyAction {
    fn from(c: ResponseHeadersPolicyCommand) -> Self {
        match c {
            ResponseHeadersPolicyCommand::Create {
                response_headers_policy_config,
            } => Self::Create(response_headers_policy_config),
            ResponseHeadersPolicyCommand::List => Self::List,
            ResponseHeadersPolicyCommand::Delete { id } => Self::Delete(id),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// Address to listen on.
    #[arg(long)]
    pub(crate) listen: Option<String>,
    /// Port of the Function URL listener (HTTPS and HTTP on one port); 0 picks a free one.
    #[arg(long)]
    pub(crate) url_port: Option<u16>,
    /// Port of the Lambda API (`aws lambda … --endpoint-url`); 0 picks a free one.
    #[arg(long)]
    pub(crate) api_port: Option<u16>,
    /// Port of the edge's HTTP listener; 0 picks a free one.
    #[arg(long)]
    pub(crate) edge_http_port: Option<u16>,
    /// Port of the edge's HTTPS listener; 0 picks a free one.
    #[arg(long)]
    pub(crate) edge_https_port: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FunctionCommand {
    /// Create a function.
    Create(CreateArgs),
    /// Change a function's code or configuration.
    Update(UpdateArgs),
    /// Delete a function and its URL.
    Delete {
        /// Function name.
        name: String,
    },
    /// List functions and their URLs.
    List,
    /// Give a function a URL (or change it), and print it.
    Url(UrlArgs),
    /// Invoke a function and print its response (through the running server, or in-process
    /// when none runs).
    Invoke {
        /// Function name.
        name: String,
        /// The event (JSON).
        #[arg(long, default_value = "{}")]
        payload: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Function name (1–64 of [a-zA-Z0-9-_]).
    pub(crate) name: String,
    /// nodejs20.x, nodejs22.x, python3.11, python3.12, python3.13, provided.al2023, provided.al2.
    #[arg(long)]
    pub(crate) runtime: String,
    #[command(flatten)]
    pub(crate) settings: FunctionSettings,
}

#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Function name.
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) settings: FunctionSettings,
}

#[derive(Debug, Args)]
pub(crate) struct FunctionSettings {
    /// Code: a directory or a .zip. Default (create): the runtime's template.
    #[arg(long)]
    pub(crate) code: Option<PathBuf>,
    /// Handler. Default: the runtime's template handler.
    #[arg(long)]
    pub(crate) handler: Option<String>,
    /// Timeout in seconds (1–900). Default: 3.
    #[arg(long)]
    pub(crate) timeout: Option<u32>,
    /// Memory in MB (128–10240). Default: 128.
    #[arg(long)]
    pub(crate) memory: Option<u32>,
    /// Environment variable KEY=VALUE (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub(crate) env: Vec<String>,
    /// Reserved concurrency (0 deactivates the function). Default: 10.
    #[arg(long)]
    pub(crate) concurrency: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct UrlArgs {
    /// Function name.
    pub(crate) name: String,
    /// NONE or AWS_IAM. Default: NONE (or the URL's current value).
    #[arg(long)]
    pub(crate) auth_type: Option<String>,
    /// BUFFERED or RESPONSE_STREAM. Default: BUFFERED (or the URL's current value).
    #[arg(long)]
    pub(crate) invoke_mode: Option<String>,
    /// CORS configuration as Lambda's JSON, e.g. '{"AllowOrigins":["*"]}'.
    #[arg(long)]
    pub(crate) cors: Option<String>,
}
