//! Ctrl-C (and SIGTERM) during a run: files being written are removed before the process exits,
//! so an interrupted run never leaves a half report or half snapshot behind. Writers register the
//! temporary path they write to and unregister it once it has been renamed into place.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The exit code of a run stopped by a signal (128 + SIGINT), as shells report it.
pub const EXIT_CODE: i32 = 130;

/// Installs the handler; call once, early in `main`.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        remove_in_progress();
        eprintln!("interrupted: no report was written");
        std::process::exit(EXIT_CODE);
    });
}

/// A temporary file or folder is being written at `path`.
pub fn register(path: &Path) {
    if let Ok(mut paths) = IN_PROGRESS.lock() {
        paths.push(path.to_path_buf());
    }
}

/// `path` was renamed into place or removed.
pub fn unregister(path: &Path) {
    if let Ok(mut paths) = IN_PROGRESS.lock() {
        paths.retain(|p| p != path);
    }
}

fn remove_in_progress() {
    // The lock may be held by the thread that was writing: take what is there if it is free,
    // otherwise there is nothing consistent to clean.
    if let Ok(paths) = IN_PROGRESS.try_lock() {
        for p in paths.iter() {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}
