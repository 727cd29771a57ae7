//! Progress bars for long scans (many clusters, many TLS endpoints, large fleets), drawn on
//! standard error.
//!
//! A bar is drawn only when progress is enabled (`--no-progress` turns it off) *and* standard
//! error is a terminal: indicatif's stderr target checks `isatty(2)` (and a `TERM` that is set
//! and not `dumb`) when the bar is made, and draws nothing otherwise, so a redirected or piped
//! run, a CI log and the tests never see a byte of it. A finished bar is cleared, so what is
//! left on the terminal is the report alone.
//!
//! ```ignore
//! let bar = Progress::new(options.progress).bar(items.len() as u64, "nodes");
//! items.par_iter().for_each(|item| {
//!     judge(item);
//!     bar.inc(1); // Bar is Clone + Send + Sync: share it, or clone it into each task
//! });
//! bar.finish_and_clear();
//! ```

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// Whether a scan may draw progress bars. Cheap to copy into option structs; the default
/// draws nothing (library callers opt in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// `enabled`: the user did not ask for `--no-progress`. Bars still stay hidden when
    /// standard error is not a terminal.
    pub fn new(enabled: bool) -> Progress {
        Progress { enabled }
    }

    /// Progress never drawn.
    pub fn off() -> Progress {
        Progress::default()
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// A bar counting to `total`, labelled `label` ("clusters", "TLS endpoints"…).
    pub fn bar(&self, total: u64, label: &str) -> Bar {
        if !self.enabled {
            return Bar(ProgressBar::hidden());
        }
        Bar::drawn_on(ProgressDrawTarget::stderr(), total, label)
    }
}

/// One progress bar. Clones share the same bar, and it can be moved into and ticked from any
/// thread (rayon workers, tokio tasks).
#[derive(Debug, Clone)]
pub struct Bar(ProgressBar);

/// `label [=====>    ] 37/100 3s`
const TEMPLATE: &str = "{msg} [{bar:30}] {pos}/{len} {elapsed}";

impl Bar {
    fn drawn_on(target: ProgressDrawTarget, total: u64, label: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(TEMPLATE)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_string());
        if !bar.is_hidden() {
            // Redraw now and then, so the elapsed time moves while a slow item is awaited.
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Bar(bar)
    }

    /// A bar that draws nothing.
    pub fn hidden() -> Bar {
        Bar(ProgressBar::hidden())
    }

    /// `n` more items done.
    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    /// Items done so far.
    pub fn position(&self) -> u64 {
        self.0.position()
    }

    /// Whether this bar draws nothing (progress off, or standard error is not a terminal).
    pub fn is_hidden(&self) -> bool {
        self.0.is_hidden()
    }

    /// Removes the bar from the terminal.
    pub fn finish_and_clear(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_shareable_across_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Bar>();
        shareable::<Progress>();
        let bar = Progress::off().bar(1000, "items");
        assert!(bar.is_hidden());
        std::thread::scope(|s| {
            for _ in 0..4 {
                let bar = bar.clone();
                s.spawn(move || (0..250).for_each(|_| bar.inc(1)));
            }
        });
        assert_eq!(bar.position(), 1000);
        bar.finish_and_clear();
    }

    #[test]
    fn off_is_hidden_whatever_the_terminal() {
        assert!(Progress::new(false).bar(3, "clusters").is_hidden());
        assert!(Progress::default().bar(3, "clusters").is_hidden());
    }
}
