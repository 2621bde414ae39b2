//! The demo mailbox that ships in `examples/demo/`, so that `cargo run --example
//! pop3_server` works on a fresh clone: user [`USER`], password [`PASSWORD`].
//!
//! ```text
//! examples/demo/users                  users file: demo:{PLAIN}demo
//! examples/demo/Maildir/new/...        the demo messages, one file each
//! examples/demo/Maildir/.Sent/ ...      Maildir++ folders for IMAP (Sent, Drafts, Trash,
//!                                      Archive, Archive.2023), each with `maildirfolder`
//! examples/demo/Maildir/subscriptions  the subscribed folders (Dovecot's format)
//! examples/demo/mbox/demo              the same messages as an mbox spool (mboxrd)
//! ```
//!
//! Servers never open these in place: [`Demo::install`] copies them into a fresh
//! temporary directory (removed when the `Demo` is dropped), so running an example never
//! modifies the repository. Git keeps no mtimes and no empty directories, so the copy
//! also sets each Maildir file's mtime (its delivery date) from the leading seconds of its
//! name and creates `cur/` and `tmp/`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::store::{Store, StoreKind};

/// The demo user's name.
pub const USER: &str = "demo";
/// The demo user's password (stored as `{PLAIN}` so that APOP works too).
pub const PASSWORD: &str = "demo";

/// `examples/demo/` in the source tree.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join("demo")
}

/// A private copy of the demo mail, in a temporary directory.
#[derive(Debug)]
pub struct Demo {
    dir: tempfile::TempDir,
    store: Store,
    users: PathBuf,
}

impl Demo {
    /// Copies the demo mail of `kind` into a new temporary directory, laid out as
    /// `TMP/maildir/demo/` or `TMP/mbox/demo`, with a matching [`Store`].
    pub fn install(kind: StoreKind) -> io::Result<Demo> {
        let source = source_dir();
        let dir = tempfile::Builder::new().prefix("pobox-demo-").tempdir()?;
        let template = match kind {
            StoreKind::Maildir => {
                let maildir = dir.path().join("maildir").join(USER);
                copy_maildir(&source.join("Maildir"), &maildir)?;
                dir.path().join("maildir").join("%u")
            }
            StoreKind::Mbox => {
                let spool_dir = dir.path().join("mbox");
                fs::create_dir_all(&spool_dir)?;
                let spool = spool_dir.join(USER);
                fs::copy(source.join("mbox").join(USER), &spool)?;
                fs::set_permissions(&spool, fs::Permissions::from_mode(0o600))?;
                spool_dir.join("%u")
            }
        };
        let store = Store::new(kind, &template).map_err(io::Error::other)?;
        Ok(Demo {
            dir,
            store,
            users: source.join("users"),
        })
    }

    /// The store to serve (`--mail`).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The demo users file (`--users`); read-only, in the source tree.
    pub fn users_file(&self) -> &Path {
        &self.users
    }

    /// The temporary directory holding the copy.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Copies a Maildir++ tree into `to`: the `new/` and `cur/` files of the root and of each
/// `.Folder` (created with `cur/`, `new/` and `tmp/`, which git does not keep when empty),
/// each folder's `maildirfolder` marker and the root's `subscriptions` file, giving each
/// message the mtime its name starts with.
pub fn copy_maildir(from: &Path, to: &Path) -> io::Result<()> {
    copy_one_maildir(from, to)?;
    let subscriptions = from.join("subscriptions");
    if subscriptions.is_file() {
        fs::copy(&subscriptions, to.join("subscriptions"))?;
    }
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let is_folder = name.as_encoded_bytes().starts_with(b".") && entry.path().is_dir();
        if is_folder {
            let target = to.join(&name);
            copy_one_maildir(&entry.path(), &target)?;
            fs::write(target.join("maildirfolder"), b"")?;
        }
    }
    Ok(())
}

/// Copies one Maildir's `new/` and `cur/` files (see [`copy_maildir`]).
fn copy_one_maildir(from: &Path, to: &Path) -> io::Result<()> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(to.join(sub))?;
    }
    for sub in ["cur", "new"] {
        let Ok(entries) = fs::read_dir(from.join(sub)) else {
            continue; // git drops empty directories
        };
        for entry in entries {
            let entry = entry?;
            let target = to.join(sub).join(entry.file_name());
            fs::copy(entry.path(), &target)?;
            fs::set_permissions(&target, fs::Permissions::from_mode(0o600))?;
            if let Some(date) = name_date(&entry.file_name().to_string_lossy()) {
                fs::File::options()
                    .write(true)
                    .open(&target)?
                    .set_modified(date)?;
            }
        }
    }
    Ok(())
}

/// The delivery time a Maildir name starts with (`1700000000.M...`).
fn name_date(name: &str) -> Option<SystemTime> {
    let seconds: u64 = name.split('.').next()?.parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}
