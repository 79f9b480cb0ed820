//! How each runtime's process is launched: the bootstraps Stratus ships inside its binary for
//! Node.js and Python, and the function's own `bootstrap` for `provided` runtimes.

use std::path::{Path, PathBuf};

use stratus_model::{Runtime, RuntimeFamily};

/// The Node.js bootstrap (Stratus's own runtime interface client).
pub const NODE_BOOTSTRAP: &str = include_str!("../runtimes/node/bootstrap.mjs");
/// The Python bootstrap (Stratus's own runtime interface client).
pub const PYTHON_BOOTSTRAP: &str = include_str!("../runtimes/python/bootstrap.py");

/// Writes the shipped bootstraps under `dir` (Lambda's `/var/runtime`) and returns `dir`.
pub fn install(dir: &Path) -> std::io::Result<PathBuf> {
    for (sub, file, text) in [
        ("node", "bootstrap.mjs", NODE_BOOTSTRAP),
        ("python", "bootstrap.py", PYTHON_BOOTSTRAP),
    ] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d)?;
        let path = d.join(file);
        // Rewrite only when changed: running environments may be reading it.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            let tmp = d.join(format!(".{file}.tmp"));
            std::fs::write(&tmp, text)?;
            std::fs::rename(tmp, path)?;
        }
    }
    Ok(dir.to_path_buf())
}

/// A process to start for one execution environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables of this runtime (`NODE_PATH`, `PYTHONPATH`).
    pub env: Vec<(String, String)>,
}

/// Why a runtime cannot be launched; reported to the caller as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchError {
    /// Lambda's error type, e.g. `Runtime.InvalidEntrypoint`.
    pub error_type: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The V8 heap flags AWS's managed Node.js runtime passes: a tenth of the memory is new space
/// (half of it per semi-space), the rest old space.
pub fn node_heap_flags(memory_mb: u32) -> [String; 2] {
    let new_space = memory_mb / 10;
    [
        format!("--max-semi-space-size={}", new_space / 2),
        format!("--max-old-space-size={}", memory_mb - new_space),
    ]
}

/// The launch for `runtime`.
///
/// `runtime_dir` holds the installed bootstraps; `task_root` is the function's code.
pub fn launch(
    runtime: Runtime,
    memory_mb: u32,
    runtime_dir: &Path,
    task_root: &Path,
) -> Result<Launch, LaunchError> {
    match runtime.family() {
        RuntimeFamily::Node => {
            let node = find_program(&["node"]).ok_or_else(|| LaunchError {
                error_type: "Runtime.InvalidEntrypoint",
                message: format!(
                    "{} needs `node` on PATH: install Node.js (apt-get install nodejs)",
                    runtime.as_str()
                ),
            })?;
            let [semi, old] = node_heap_flags(memory_mb);
            let node_path = format!(
                "{rt}/node_modules:{rt}:{task}",
                rt = runtime_dir.display(),
                task = task_root.display()
            );
            Ok(Launch {
                program: node,
                args: vec![
                    "--expose-gc".into(),
                    "--max-http-header-size=81920".into(),
                    semi,
                    old,
                    runtime_dir
                        .join("node/bootstrap.mjs")
                        .to_string_lossy()
                        .into_owned(),
                ],
                env: vec![("NODE_PATH".into(), node_path)],
            })
        }
        RuntimeFamily::Python => {
            // Prefer the exact interpreter (python3.12) when the machine has one that runs.
            let exact = runtime.as_str();
            let python = working_interpreter(&[exact, "python3"]).ok_or_else(|| LaunchError {
                error_type: "Runtime.InvalidEntrypoint",
                message: format!(
                    "{exact} needs `python3` on PATH: install Python (apt-get install python3)"
                ),
            })?;
            Ok(Launch {
                program: python,
                args: vec![
                    "-u".into(),
                    runtime_dir
                        .join("python/bootstrap.py")
                        .to_string_lossy()
                        .into_owned(),
                ],
                env: vec![(
                    "PYTHONPATH".into(),
                    runtime_dir.join("python").to_string_lossy().into_owned(),
                )],
            })
        }
        RuntimeFamily::Provided => {
            let bootstrap = task_root.join("bootstrap");
            if !is_executable(&bootstrap) {
                return Err(LaunchError {
                    error_type: "Runtime.InvalidEntrypoint",
                    message: format!(
                        "Couldn't find valid bootstrap(s): [{} /opt/bootstrap]",
                        bootstrap.display()
                    ),
                });
            }
            Ok(Launch {
                program: bootstrap,
                args: vec![],
                env: vec![],
            })
        }
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The first of `names` on `PATH` that actually runs (`--version` succeeds): version managers
/// put shims on `PATH` for versions that are not installed. Probed once per name.
pub fn working_interpreter(names: &[&str]) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static PROBED: OnceLock<Mutex<HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    let probed = PROBED.get_or_init(Mutex::default);
    names.iter().find_map(|name| {
        let mut cache = probed.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(name.to_string())
            .or_insert_with(|| {
                let path = find_program(&[name])?;
                let ok = std::process::Command::new(&path)
                    .arg("--version")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                ok.then_some(path)
            })
            .clone()
    })
}

/// The first of `names` found on `PATH`.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_flags_follow_aws() {
        assert_eq!(
            node_heap_flags(128),
            [
                "--max-semi-space-size=6".to_string(),
                "--max-old-space-size=116".to_string()
            ]
        );
        assert_eq!(node_heap_flags(1024)[1], "--max-old-space-size=922");
    }

    #[test]
    fn provided_needs_an_executable_bootstrap() {
        let dir = tempfile::tempdir().unwrap();
        let err = launch(Runtime::ProvidedAl2023, 128, dir.path(), dir.path()).unwrap_err();
        assert_eq!(err.error_type, "Runtime.InvalidEntrypoint");
        let b = dir.path().join("bootstrap");
        std::fs::write(&b, "#!/bin/sh\n").unwrap();
        assert!(launch(Runtime::ProvidedAl2023, 128, dir.path(), dir.path()).is_err());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o755)).unwrap();
        let l = launch(Runtime::ProvidedAl2023, 128, dir.path(), dir.path()).unwrap();
        assert_eq!(l.program, b);
    }
}
