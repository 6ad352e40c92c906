//! Secret key files in the data directory: created once, readable only by their owner.

use std::fs::{self, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use xiaoge_pass::KeyPair;

use crate::error::{IssuerError, Result};

const HEADER: &str = "xiaoge-ed25519-seed-v1";

/// Writes `key` to a new file at `path` with mode 0600; fails if the file exists.
pub fn write_new(path: &Path, key: &KeyPair) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .map_err(|e| IssuerError::io(format!("creating key file {}", path.display()), e))?;
    let text = format!("{HEADER}\n{}\n", hex::encode(key.seed()));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| IssuerError::io(format!("writing key file {}", path.display()), e))
}

/// Reads a key file, refusing one that others can read.
pub fn read(path: &Path) -> Result<KeyPair> {
    let problem = |problem: String| IssuerError::KeyFile {
        path: path.to_owned(),
        problem,
    };
    #[cfg(unix)]
    {
        let mode = fs::metadata(path)
            .map_err(|e| problem(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(problem(format!(
                "mode is {:o}; a secret key must be 0600 (chmod 600 it)",
                mode & 0o777
            )));
        }
    }
    let text = fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(problem(format!("first line is not {HEADER:?}")));
    }
    let seed: [u8; 32] = lines
        .next()
        .and_then(|l| hex::decode(l.trim()).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| problem("second line is not 64 hex digits".into()))?;
    Ok(KeyPair::from_seed(seed))
}
