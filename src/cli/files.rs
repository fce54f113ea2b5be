//! Reading templates within a size limit, and replacing them atomically.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A file's bytes, or its size (when known) if it is over `--max-size`.
pub enum Contents {
    Bytes(Vec<u8>),
    TooLarge(Option<u64>),
}

/// Reads at most `limit` bytes, so a huge file, a device or an endless pipe never fills
/// memory.
pub fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<Contents> {
    read_limited_sized(reader, limit, 0)
}

/// [`read_limited`], into a buffer sized for the `expected` length up front: grown by
/// doubling, a buffer for a 10 MB file would take 16 MB.
fn read_limited_sized(reader: impl Read, limit: u64, expected: u64) -> std::io::Result<Contents> {
    let mut bytes = Vec::with_capacity(expected.min(limit) as usize);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > limit {
        Contents::TooLarge(None)
    } else {
        Contents::Bytes(bytes)
    })
}

pub fn read_file(path: &Path, limit: u64) -> std::io::Result<Contents> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > limit {
        return Ok(Contents::TooLarge(Some(metadata.len())));
    }
    read_limited_sized(file, limit, metadata.len())
}

/// Writes beside the file, then renames over it, so a reader sees the old or the new
/// template and never a mix. A symlink is followed: its target is replaced. `original` is
/// what the fix was made from: a file that no longer holds it (another process wrote it
/// meanwhile) is left alone, and so is a read-only one, even for root. Returns the
/// directory the rename changed: the rename is durable once [`sync_dir`] has synced it,
/// which a batch does once per directory.
pub fn write_atomically(path: &Path, original: &[u8], contents: &[u8]) -> anyhow::Result<PathBuf> {
    let target = std::fs::canonicalize(path).context("cannot resolve the path")?;
    let dir = target
        .parent()
        .context("the file has no parent directory")?;
    let permissions = std::fs::metadata(&target)
        .context("cannot read the file's permissions")?
        .permissions();
    if permissions.readonly() {
        anyhow::bail!("it is read-only");
    }
    // The temporary file's name starts with a dot, so a concurrent walk skips it, and it
    // is removed if anything below fails.
    let mut temp =
        tempfile::NamedTempFile::new_in(dir).context("cannot create a temporary file beside it")?;
    temp.write_all(contents)
        .context("cannot write the temporary file")?;
    temp.as_file()
        .sync_all()
        .context("cannot flush the temporary file")?;
    std::fs::set_permissions(temp.path(), permissions)
        .context("cannot keep the file's permissions")?;
    let now = std::fs::File::open(&target).and_then(|file| {
        read_limited(file, original.len() as u64).map(|contents| match contents {
            Contents::Bytes(bytes) => bytes == original,
            Contents::TooLarge(_) => false,
        })
    });
    if !now.unwrap_or(false) {
        anyhow::bail!("it changed while samfix was fixing it");
    }
    let dir = dir.to_path_buf();
    temp.persist(&target).context("cannot replace the file")?;
    Ok(dir)
}

/// Makes the renames in `dir` durable. The files are already replaced, so a directory that
/// can't be synced is no error.
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}
