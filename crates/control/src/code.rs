//! Function code storage: a deployment package (a .zip, a directory, or a runtime's default
//! template) is checked against Lambda's limits and unpacked, read-only, into a directory named
//! by its SHA-256 under `<state>/code/`. A directory is packed as a .zip first, so every
//! package has Lambda's `CodeSha256` (base64 SHA-256 of the zip).

use std::io::{Cursor, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};
use stratus_model::{Runtime, RuntimeFamily};

use crate::error::ControlError;

/// Lambda: at most 50 MB zipped for a direct upload…
pub const MAX_ZIPPED: usize = 50 * 1024 * 1024;
/// …and 250 MB unzipped.
pub const MAX_UNZIPPED: u64 = 262_144_000;

/// Where code comes from.
#[derive(Debug, Clone)]
pub enum CodeSource {
    /// A directory, packed as Lambda packs a folder.
    Dir(PathBuf),
    /// A .zip file.
    Zip(PathBuf),
    /// .zip bytes (the API's `ZipFile`).
    ZipBytes(Vec<u8>),
    /// The runtime's default (console) template.
    Template(Runtime),
}

/// A stored package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    /// Lambda's `CodeSha256`: base64 of the zip's SHA-256.
    pub sha256: String,
    /// Lambda's `CodeSize`: the zip's size in bytes.
    pub size: u64,
    /// The unpacked, read-only directory.
    pub dir: PathBuf,
}

/// The default console function of Node.js 18+ (`index.mjs`, handler `index.handler`).
pub const NODE_TEMPLATE: &str = "export const handler = async (event) => {
  // TODO implement
  const response = {
    statusCode: 200,
    body: JSON.stringify('Hello from Lambda!'),
  };
  return response;
};
";

/// The default console function of Python (`lambda_function.py`).
pub const PYTHON_TEMPLATE: &str = "import json

def lambda_handler(event, context):
    # TODO implement
    return {
        'statusCode': 200,
        'body': json.dumps('Hello from Lambda!')
    }
";

/// Code packages under one root.
#[derive(Debug, Clone)]
pub struct CodeStore {
    root: PathBuf,
}

fn code_error(msg: impl Into<String>) -> ControlError {
    ControlError::Code(msg.into())
}

impl CodeStore {
    /// A store under `root` (`<state>/code`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The unpacked directory of a package with this `CodeSha256`.
    pub fn dir_for(&self, sha256: &str) -> PathBuf {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sha256)
            .unwrap_or_default();
        self.root.join(hex::encode(bytes))
    }

    /// Checks and unpacks a package; returns where it is.
    pub fn store(&self, source: &CodeSource) -> Result<StoredCode, ControlError> {
        let zip = match source {
            CodeSource::Dir(dir) => pack_dir(dir)?,
            CodeSource::Zip(path) => std::fs::read(path)
                .map_err(ControlError::io(format!("reading {}", path.display())))?,
            CodeSource::ZipBytes(b) => b.clone(),
            CodeSource::Template(runtime) => template(*runtime)?,
        };
        if zip.len() > MAX_ZIPPED {
            return Err(code_error(format!(
                "Zipped size must be smaller than {MAX_ZIPPED} bytes"
            )));
        }
        let digest = Sha256::digest(&zip);
        let sha256 = base64::engine::general_purpose::STANDARD.encode(digest);
        let dir = self.root.join(hex::encode(digest));
        if !dir.exists() {
            std::fs::create_dir_all(&self.root)
                .map_err(ControlError::io("creating the code directory"))?;
            let tmp = self
                .root
                .join(format!(".unpack-{}", stratus_model::ids::hex32()));
            let result = unpack(&zip, &tmp).and_then(|()| {
                make_read_only(&tmp)?;
                std::fs::rename(&tmp, &dir).map_err(ControlError::io("storing code"))
            });
            if let Err(e) = result {
                let _ = remove_tree(&tmp);
                if !dir.exists() {
                    return Err(e);
                }
            }
        }
        Ok(StoredCode {
            sha256,
            size: zip.len() as u64,
            dir,
        })
    }

    /// Removes unpacked packages whose `CodeSha256` is not in `keep`.
    pub fn collect_garbage(&self, keep: &[String]) {
        let keep: Vec<PathBuf> = keep.iter().map(|s| self.dir_for(s)).collect();
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !keep.contains(&path) {
                let _ = remove_tree(&path);
            }
        }
    }
}

fn template(runtime: Runtime) -> Result<Vec<u8>, ControlError> {
    let (name, text) = match runtime.family() {
        RuntimeFamily::Node => ("index.mjs", NODE_TEMPLATE),
        RuntimeFamily::Python => ("lambda_function.py", PYTHON_TEMPLATE),
        RuntimeFamily::Provided => {
            return Err(code_error(format!(
                "{runtime} has no default template: give the function's code (a directory or .zip with an executable `bootstrap`)"
            )))
        }
    };
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
    w.start_file(name, opts)
        .map_err(|e| code_error(e.to_string()))?;
    w.write_all(text.as_bytes())
        .map_err(ControlError::io("writing the template"))?;
    Ok(w.finish()
        .map_err(|e| code_error(e.to_string()))?
        .into_inner())
}

/// Packs a directory as a zip, in a stable order, keeping permissions.
fn pack_dir(dir: &Path) -> Result<Vec<u8>, ControlError> {
    if !dir.is_dir() {
        return Err(code_error(format!("{} is not a directory", dir.display())));
    }
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut total = 0u64;
    for rel in files {
        let path = dir.join(&rel);
        let meta = std::fs::metadata(&path)
            .map_err(ControlError::io(format!("reading {}", path.display())))?;
        total += meta.len();
        if total > MAX_UNZIPPED {
            return Err(code_error(format!(
                "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
            )));
        }
        let opts = zip::write::SimpleFileOptions::default()
            .unix_permissions(meta.permissions().mode() & 0o777)
            .large_file(meta.len() > u32::MAX as u64);
        w.start_file(rel.to_string_lossy(), opts)
            .map_err(|e| code_error(e.to_string()))?;
        let data = std::fs::read(&path)
            .map_err(ControlError::io(format!("reading {}", path.display())))?;
        w.write_all(&data)
            .map_err(ControlError::io("packing code"))?;
    }
    Ok(w.finish()
        .map_err(|e| code_error(e.to_string()))?
        .into_inner())
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ControlError> {
    let entries =
        std::fs::read_dir(dir).map_err(ControlError::io(format!("reading {}", dir.display())))?;
    for e in entries.flatten() {
        let path = e.path();
        // Stratus's own state directory is never part of a function.
        if path.file_name().is_some_and(|n| n == ".stratus") {
            continue;
        }
        let meta = std::fs::metadata(&path)
            .map_err(ControlError::io(format!("reading {}", path.display())))?;
        if meta.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

/// Unpacks `zip` into `dest`, refusing entries that escape it and packages over 250 MB.
fn unpack(zip: &[u8], dest: &Path) -> Result<(), ControlError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))
        .map_err(|e| code_error(format!("Could not unzip uploaded file. Please check your file, then try to upload again. ({e})")))?;
    let mut total = 0u64;
    std::fs::create_dir_all(dest).map_err(ControlError::io("unpacking code"))?;
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| code_error(format!("Could not unzip uploaded file: {e}")))?;
        let Some(rel) = file.enclosed_name() else {
            return Err(code_error(format!(
                "Could not unzip uploaded file: unsafe path {:?}",
                file.name()
            )));
        };
        let out = dest.join(rel);
        if file.is_dir() {
            std::fs::create_dir_all(&out).map_err(ControlError::io("unpacking code"))?;
            continue;
        }
        total += file.size();
        if total > MAX_UNZIPPED {
            return Err(code_error(format!(
                "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
            )));
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(ControlError::io("unpacking code"))?;
        }
        let mut data = Vec::with_capacity(file.size() as usize);
        file.read_to_end(&mut data)
            .map_err(|e| code_error(format!("Could not unzip uploaded file: {e}")))?;
        std::fs::write(&out, &data).map_err(ControlError::io("unpacking code"))?;
        let mode = file.unix_mode().unwrap_or(0o644) & 0o777;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode | 0o400))
            .map_err(ControlError::io("unpacking code"))?;
    }
    Ok(())
}

/// Lambda's `/var/task` is read-only: no write bits anywhere.
fn make_read_only(dir: &Path) -> Result<(), ControlError> {
    for e in std::fs::read_dir(dir)
        .map_err(ControlError::io("sealing code"))?
        .flatten()
    {
        let path = e.path();
        let meta = std::fs::symlink_metadata(&path).map_err(ControlError::io("sealing code"))?;
        if meta.is_dir() {
            make_read_only(&path)?;
        } else if meta.is_file() {
            let mode = meta.permissions().mode() & 0o555;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(ControlError::io("sealing code"))?;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555))
        .map_err(ControlError::io("sealing code"))
}

/// Removes a read-only tree.
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    fn writable(dir: &Path) {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    writable(&e.path());
                }
            }
        }
    }
    writable(dir);
    std::fs::remove_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_round_trip_keeps_modes_and_is_read_only() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("lib")).unwrap();
        std::fs::write(src.path().join("lib/a.js"), "x").unwrap();
        std::fs::write(src.path().join("bootstrap"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            src.path().join("bootstrap"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let root = tempfile::tempdir().unwrap();
        let store = CodeStore::new(root.path());
        let a = store.store(&CodeSource::Dir(src.path().into())).unwrap();
        let b = store.store(&CodeSource::Dir(src.path().into())).unwrap();
        assert_eq!(a, b, "same content, same package");
        assert_eq!(
            std::fs::read_to_string(a.dir.join("lib/a.js")).unwrap(),
            "x"
        );
        let mode = std::fs::metadata(a.dir.join("bootstrap"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o555);
        assert!(std::fs::write(a.dir.join("new"), "y").is_err() || nix_is_root());
        assert_eq!(store.dir_for(&a.sha256), a.dir);
        store.collect_garbage(&[]);
        assert!(!a.dir.exists());
    }

    fn nix_is_root() -> bool {
        // root ignores permission bits
        std::env::var("USER").map(|u| u == "root").unwrap_or(true)
    }

    #[test]
    fn templates_and_bad_zips() {
        let root = tempfile::tempdir().unwrap();
        let store = CodeStore::new(root.path());
        let t = store
            .store(&CodeSource::Template(Runtime::Nodejs20))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(t.dir.join("index.mjs")).unwrap(),
            NODE_TEMPLATE
        );
        assert!(store
            .store(&CodeSource::Template(Runtime::ProvidedAl2023))
            .is_err());
        let e = store
            .store(&CodeSource::ZipBytes(b"not a zip".to_vec()))
            .unwrap_err();
        assert!(e.to_string().contains("Could not unzip"), "{e}");
    }

    #[test]
    fn zip_slip_is_refused() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("../evil", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"x").unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let root = tempfile::tempdir().unwrap();
        let e = CodeStore::new(root.path().join("code"))
            .store(&CodeSource::ZipBytes(bytes))
            .unwrap_err();
        assert!(e.to_string().contains("unsafe path"), "{e}");
        assert!(!root.path().join("evil").exists());
    }
}
