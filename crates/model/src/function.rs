//! Function configuration: runtime, handler, memory, timeout, environment, concurrency.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The runtimes Stratus runs. Names are Lambda's `Runtime` identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Runtime {
    /// `nodejs20.x`
    #[serde(rename = "nodejs20.x")]
    Nodejs20,
    /// `nodejs22.x`
    #[serde(rename = "nodejs22.x")]
    Nodejs22,
    /// `python3.11`
    #[serde(rename = "python3.11")]
    Python311,
    /// `python3.12`
    #[serde(rename = "python3.12")]
    Python312,
    /// `python3.13`
    #[serde(rename = "python3.13")]
    Python313,
    /// `provided.al2023`
    #[serde(rename = "provided.al2023")]
    ProvidedAl2023,
    /// `provided.al2`
    #[serde(rename = "provided.al2")]
    ProvidedAl2,
}

/// How a runtime is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeFamily {
    /// The system `node` runs Stratus's Node.js bootstrap.
    Node,
    /// The system `python3` runs Stratus's Python bootstrap.
    Python,
    /// The function's own `bootstrap` executable.
    Provided,
}

impl Runtime {
    /// Every supported runtime, in Lambda's order.
    pub const ALL: [Runtime; 7] = [
        Runtime::Nodejs20,
        Runtime::Nodejs22,
        Runtime::Python311,
        Runtime::Python312,
        Runtime::Python313,
        Runtime::ProvidedAl2023,
        Runtime::ProvidedAl2,
    ];

    /// Lambda's identifier, e.g. `nodejs20.x`.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Nodejs20 => "nodejs20.x",
            Runtime::Nodejs22 => "nodejs22.x",
            Runtime::Python311 => "python3.11",
            Runtime::Python312 => "python3.12",
            Runtime::Python313 => "python3.13",
            Runtime::ProvidedAl2023 => "provided.al2023",
            Runtime::ProvidedAl2 => "provided.al2",
        }
    }

    /// Which launcher this runtime uses.
    pub fn family(self) -> RuntimeFamily {
        match self {
            Runtime::Nodejs20 | Runtime::Nodejs22 => RuntimeFamily::Node,
            Runtime::Python311 | Runtime::Python312 | Runtime::Python313 => RuntimeFamily::Python,
            Runtime::ProvidedAl2023 | Runtime::ProvidedAl2 => RuntimeFamily::Provided,
        }
    }

    /// `AWS_EXECUTION_ENV`; absent on OS-only runtimes (Lambda: `AWS_Lambda_nodejs20.x`).
    pub fn execution_env(self) -> Option<String> {
        match self.family() {
            RuntimeFamily::Provided => None,
            _ => Some(format!("AWS_Lambda_{}", self.as_str())),
        }
    }

    /// The handler of the runtime's default (console) template.
    pub fn default_handler(self) -> &'static str {
        match self.family() {
            RuntimeFamily::Node => "index.handler",
            RuntimeFamily::Python => "lambda_function.lambda_handler",
            RuntimeFamily::Provided => "bootstrap",
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Runtime {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Runtime::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                ValidationError::invalid_parameter(format!(
                    "Value {s} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] or be a valid ARN",
                    Runtime::ALL.map(Runtime::as_str).join(", ")
                ))
            })
    }
}

/// Memory size in MB. Lambda: 128–10,240 in 1-MB steps; default 128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct MemorySize(u32);

impl MemorySize {
    /// Lambda's default, 128 MB.
    pub const DEFAULT: MemorySize = MemorySize(128);

    /// Checks Lambda's range.
    pub fn new(mb: u32) -> Result<Self, ValidationError> {
        if (128..=10240).contains(&mb) {
            Ok(Self(mb))
        } else {
            Err(ValidationError::constraint(
                &mb.to_string(),
                "memorySize",
                "Member must have value greater than or equal to 128, Member must have value less than or equal to 10240",
            ))
        }
    }

    /// The size in MB.
    pub fn mb(self) -> u32 {
        self.0
    }
}

impl Default for MemorySize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for MemorySize {
    type Error = ValidationError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<MemorySize> for u32 {
    fn from(m: MemorySize) -> u32 {
        m.0
    }
}

/// Timeout in seconds. Lambda: 1–900, default 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Timeout(u32);

impl Timeout {
    /// Lambda's default, 3 seconds.
    pub const DEFAULT: Timeout = Timeout(3);

    /// Checks Lambda's range.
    pub fn new(secs: u32) -> Result<Self, ValidationError> {
        if (1..=900).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(ValidationError::constraint(
                &secs.to_string(),
                "timeout",
                "Member must have value greater than or equal to 1, Member must have value less than or equal to 900",
            ))
        }
    }

    /// The timeout in seconds.
    pub fn secs(self) -> u32 {
        self.0
    }
}

impl Default for Timeout {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for Timeout {
    type Error = ValidationError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Timeout> for u32 {
    fn from(t: Timeout) -> u32 {
        t.0
    }
}

/// Reserved concurrency: the most environments (and so simultaneous invocations) a function
/// gets. Stratus's default is 10; 0 deactivates the function (every invocation is throttled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct ReservedConcurrency(u32);

impl ReservedConcurrency {
    /// Stratus's default: 10.
    pub const DEFAULT: ReservedConcurrency = ReservedConcurrency(10);

    /// Checks the range (0–1000, Lambda's default Regional limit).
    pub fn new(n: u32) -> Result<Self, ValidationError> {
        if n <= 1000 {
            Ok(Self(n))
        } else {
            Err(ValidationError::constraint(
                &n.to_string(),
                "reservedConcurrentExecutions",
                "Member must have value less than or equal to 1000",
            ))
        }
    }

    /// The limit.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for ReservedConcurrency {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<u32> for ReservedConcurrency {
    type Error = ValidationError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<ReservedConcurrency> for u32 {
    fn from(c: ReservedConcurrency) -> u32 {
        c.0
    }
}

/// A handler string (`index.handler`, `pkg/mod.fn`, or free text for `provided`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handler(String);

impl Handler {
    /// Lambda: at most 128 characters, no whitespace (`[^\s]+`).
    pub fn new(s: impl Into<String>) -> Result<Self, ValidationError> {
        let s = s.into();
        if s.is_empty() || s.len() > 128 || s.chars().any(char::is_whitespace) {
            return Err(ValidationError::constraint(
                &s,
                "handler",
                "Member must satisfy regular expression pattern: [^\\s]+",
            ));
        }
        Ok(Self(s))
    }

    /// The handler text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Handler {
    type Error = ValidationError;
    fn try_from(v: String) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Handler> for String {
    fn from(h: Handler) -> String {
        h.0
    }
}

/// Environment variables that Lambda reserves: a function may not set them.
pub const RESERVED_ENV_KEYS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// A function's own environment variables, validated as Lambda validates them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
pub struct Environment(BTreeMap<String, String>);

impl Environment {
    /// Lambda: keys `[a-zA-Z]([a-zA-Z0-9_])+`, none reserved, and the compact JSON of the map
    /// at most 4 KB.
    pub fn new(vars: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        for key in vars.keys() {
            let mut chars = key.chars();
            let well_formed = key.len() >= 2
                && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !well_formed {
                return Err(ValidationError::constraint(
                    key,
                    "environment.variables",
                    "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
                ));
            }
            if RESERVED_ENV_KEYS.contains(&key.as_str()) {
                return Err(ValidationError::invalid_parameter(format!(
                    "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {key}"
                )));
            }
        }
        let measured = serde_json::to_string(&vars).unwrap_or_default();
        if measured.len() > 4096 {
            return Err(ValidationError::invalid_parameter(format!(
                "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
            )));
        }
        Ok(Self(vars))
    }

    /// The variables.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl TryFrom<BTreeMap<String, String>> for Environment {
    type Error = ValidationError;
    fn try_from(v: BTreeMap<String, String>) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Environment> for BTreeMap<String, String> {
    fn from(e: Environment) -> Self {
        e.0
    }
}

/// Checks a function name: 1–64 characters of `[a-zA-Z0-9-_]`.
pub fn validate_function_name(name: &str) -> Result<(), ValidationError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::constraint(
            name,
            "functionName",
            "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        ))
    }
}

/// A function's configuration (Lambda's `FunctionConfiguration`, the parts Stratus runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfig {
    /// 1–64 characters of `[a-zA-Z0-9-_]`.
    pub function_name: String,
    /// The runtime.
    pub runtime: Runtime,
    /// The handler; default: the runtime's template handler.
    pub handler: Handler,
    /// Default: 128.
    #[serde(default)]
    pub memory_size: MemorySize,
    /// Default: 3.
    #[serde(default)]
    pub timeout: Timeout,
    /// The function's own variables.
    #[serde(default)]
    pub environment: Environment,
    /// Default: 10.
    #[serde(default)]
    pub reserved_concurrency: ReservedConcurrency,
}

impl FunctionConfig {
    /// A configuration with Lambda's defaults for `runtime`.
    pub fn new(name: &str, runtime: Runtime) -> Result<Self, ValidationError> {
        validate_function_name(name)?;
        Ok(Self {
            function_name: name.to_string(),
            runtime,
            handler: Handler::new(runtime.default_handler())?,
            memory_size: MemorySize::DEFAULT,
            timeout: Timeout::DEFAULT,
            environment: Environment::default(),
            reserved_concurrency: ReservedConcurrency::DEFAULT,
        })
    }

    /// Re-checks every field (for values read back from a store or file).
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_function_name(&self.function_name)?;
        Handler::new(self.handler.as_str())?;
        Environment::new(self.environment.vars().clone())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_round_trip() {
        for r in Runtime::ALL {
            assert_eq!(r.as_str().parse::<Runtime>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert!("nodejs8.10".parse::<Runtime>().is_err());
    }

    #[test]
    fn ranges_are_lambdas() {
        assert!(MemorySize::new(127).is_err());
        assert!(MemorySize::new(128).is_ok());
        assert!(MemorySize::new(10240).is_ok());
        assert!(MemorySize::new(10241).is_err());
        assert!(Timeout::new(0).is_err());
        assert!(Timeout::new(900).is_ok());
        assert!(Timeout::new(901).is_err());
        let err = serde_json::from_str::<MemorySize>("64").unwrap_err();
        assert!(
            err.to_string().contains("greater than or equal to 128"),
            "{err}"
        );
    }

    #[test]
    fn environment_rules() {
        let ok = BTreeMap::from([("GREETING".to_string(), "hi".to_string())]);
        assert!(Environment::new(ok).is_ok());
        let reserved = BTreeMap::from([("AWS_REGION".to_string(), "x".to_string())]);
        let e = Environment::new(reserved).unwrap_err();
        assert_eq!(e.kind, "InvalidParameterValueException");
        let bad = BTreeMap::from([("1X".to_string(), "x".to_string())]);
        assert_eq!(
            Environment::new(bad).unwrap_err().kind,
            "ValidationException"
        );
        let big = BTreeMap::from([("BIG".to_string(), "x".repeat(4096))]);
        let e = Environment::new(big).unwrap_err();
        assert!(
            e.message.contains("exceeded the 4KB limit"),
            "{}",
            e.message
        );
    }

    #[test]
    fn function_names() {
        assert!(validate_function_name("my-fn_1").is_ok());
        assert!(validate_function_name("").is_err());
        assert!(validate_function_name(&"a".repeat(65)).is_err());
        assert!(validate_function_name("a b").is_err());
    }

    #[test]
    fn config_defaults() {
        let c = FunctionConfig::new("f", Runtime::Python312).unwrap();
        assert_eq!(c.handler.as_str(), "lambda_function.lambda_handler");
        assert_eq!(c.memory_size.mb(), 128);
        assert_eq!(c.timeout.secs(), 3);
        assert_eq!(c.reserved_concurrency.get(), 10);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["Runtime"], "python3.12");
        let back: FunctionConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
