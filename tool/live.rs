//! The live experiments in the pages: the `{{#live id}}` directive, which
//! renders a widget of `black_box_live::WIDGETS` as HTML (its controls, an
//! empty chart, its readouts and the static figure to fall back on), and
//! the build of the crate for `wasm32-unknown-unknown`, whose module is
//! written into the book as `live/wasm.js` (base64, so that the book also
//! runs from `file://`, where pages may not fetch files). `theme/live.js`
//! loads it on every page that has a widget.

use crate::html::escape;
use crate::translation::Strings;
use anyhow::{Context, bail};
use black_box_live::{Input, Widget};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The WebAssembly target.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// Where the module goes in the built book, relative to its root.
pub const GLUE: &str = "live/wasm.js";

/// The fixed texts of every widget's HTML, beside each widget's own
/// (caption, labels, choices): messages of each translation's `live.po`.
pub const STRINGS: &[&str] = &[
    "Live",
    "Book settings",
    "Loading the live experiment…",
    "The book's figure at its settings",
    "The live experiment could not start here; this is the book's figure at its settings.",
    // Written by theme/live.js.
    "This is the book's figure at its settings.",
    "The live experiments' module (live/wasm.js) is missing from this copy of the book.",
    "This copy of the book was built without its live experiments (run `cargo run --release` with the wasm32-unknown-unknown target).",
    "This browser does not run WebAssembly.",
    "The book's claim {id}, checked by cargo test",
    "claim {id} in the ledger",
    "The experiment stopped: {error}.",
];

/// Every text of the widgets' HTML that a translation translates.
pub fn messages() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = STRINGS.to_vec();
    for w in black_box_live::WIDGETS {
        out.extend([w.caption, w.x_label, w.y_label]);
        for c in w.controls {
            out.push(c.label);
            if let Input::Choice(options) = c.input {
                out.extend(options.iter().copied());
            }
        }
        out.extend(w.readouts.iter().map(|r| r.label));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| crate::translation::has_words(s) && seen.insert(*s));
    out
}

/// The templates ([`crate::translation::template_of`]) of the texts the
/// widgets write while they run (notes under the chart, series labels), as
/// seen in whole runs at the book's settings, at each option of each
/// choice and at both ends of each range (one control moved at a time):
/// the page translates them through `live.po` as they come.
pub fn runtime_messages() -> Result<Vec<String>, String> {
    let mut jobs: Vec<(&'static Widget, Vec<f64>)> = Vec::new();
    for w in black_box_live::WIDGETS {
        let book = w.book_settings();
        jobs.push((w, book.clone()));
        for (i, c) in w.controls.iter().enumerate() {
            let values: Vec<f64> = match c.input {
                Input::Choice(options) => (0..options.len()).map(|k| k as f64).collect(),
                Input::Range { min, max, .. } => vec![min, max],
            };
            for value in values {
                let mut v = book.clone();
                v[i] = value;
                if v != book {
                    jobs.push((w, v));
                }
            }
        }
    }
    // The runs are independent and some take a second: spread them over
    // the cores, then merge in job order so the list is deterministic.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = jobs.len().div_ceil(threads);
    let texts: Vec<Result<Vec<String>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(w, v)| run_texts(w, v)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a widget run panicked")).collect()
    });
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for text in texts {
        for template in text? {
            if seen.insert(template.clone()) {
                out.push(template);
            }
        }
    }
    Ok(out)
}

/// The templates of the texts one whole run of `w` at `values` writes.
fn run_texts(w: &Widget, values: &[f64]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut run = w.begin(values)?;
    for _ in 0..100_000 {
        let view = run.advance()?;
        let texts = std::iter::once(view.note.as_str()).chain(view.series.iter().map(|s| s.label.as_str()));
        for text in texts {
            let template = crate::translation::template_of(text).0;
            if crate::translation::has_words(&template) && !out.contains(&template) {
                out.push(template);
            }
        }
        if view.done {
            return Ok(out);
        }
    }
    Err(format!("{} did not finish", w.id))
}


/// The HTML of widget `id` on `page` (relative to `src/`); `to_root` leads
/// from the page to the book's root.
pub fn widget_html(id: &str, page: &Path, to_root: &str, words: &Strings) -> anyhow::Result<String> {
    let t = |s: &str| escape(words.get(s));
    let id = id.trim();
    let Some((index, w)) = Widget::find(id) else {
        bail!("`{{{{#live {id}}}}}`: no such widget in live/src/lib.rs's WIDGETS");
    };
    let chapter = page.iter().next().and_then(|c| c.to_str()).unwrap_or("");
    if !chapter.starts_with(&id[..4]) {
        bail!("`{{{{#live {id}}}}}` belongs to chapter {}, not to {}", &id[2..4], page.display());
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"live\" id=\"live-{id}\" data-widget=\"{id}\" data-index=\"{index}\" \
         data-log-x=\"{}\" data-log-y=\"{}\" data-glue=\"{to_root}{GLUE}\"{words}>\n\
         <figcaption><span class=\"live-badge\">{}</span> {}</figcaption>\n\
         <div class=\"live-controls\">\n",
        w.log_x,
        w.log_y,
        t("Live"),
        t(w.caption),
        words = if words.is_empty() { String::new() } else { format!(" data-words=\"{}\"", escape(&words.to_json())) },
    );
    for c in w.controls {
        let control_id = format!("live-{id}-{}", c.name);
        let _ = write!(out, "<div class=\"live-control\"><label for=\"{control_id}\">{}</label>", t(c.label));
        match c.input {
            Input::Range { min, max, step } => {
                let _ = write!(
                    out,
                    "<input type=\"range\" id=\"{control_id}\" name=\"{}\" min=\"{min}\" max=\"{max}\" \
                     step=\"{step}\" value=\"{book}\" data-book=\"{book}\" disabled>\
                     <output for=\"{control_id}\">{book}</output>",
                    c.name,
                    book = c.book,
                );
            }
            Input::Choice(options) => {
                let _ = write!(out, "<select id=\"{control_id}\" name=\"{}\" data-book=\"{}\" disabled>", c.name, c.book);
                for (i, option) in options.iter().enumerate() {
                    let selected = if i as f64 == c.book { " selected" } else { "" };
                    let _ = write!(out, "<option value=\"{i}\"{selected}>{}</option>", t(option));
                }
                out.push_str("</select>");
            }
        }
        out.push_str("</div>\n");
    }
    let _ = write!(out, "<button type=\"button\" class=\"live-reset\" disabled>{}</button>\n</div>\n", t("Book settings"));
    let _ = writeln!(
        out,
        "<div class=\"live-chart\" role=\"img\" aria-label=\"{}\" data-x-label=\"{}\" data-y-label=\"{}\"></div>",
        t(w.caption),
        t(w.x_label),
        t(w.y_label),
    );
    out.push_str("<dl class=\"live-readouts\">");
    for r in w.readouts {
        let claim = match r.claim {
            Some(claim) => format!(
                " data-claim=\"{claim}\" data-ledger=\"{to_root}appendix/ledger.html#ledger-{claim}\""
            ),
            None => String::new(),
        };
        let _ = write!(out, "<div><dt>{}</dt><dd{claim}>…</dd></div>", t(r.label));
    }
    let _ = write!(
        out,
        "</dl>\n<p class=\"live-note\" aria-live=\"polite\">{}</p>\n",
        t("Loading the live experiment…")
    );
    let _ = write!(
        out,
        "<div class=\"live-fallback\"><img src=\"{to_root}{figure}\" alt=\"{}\">\
         <p class=\"live-why\">{}</p></div>\n</figure>",
        t("The book's figure at its settings"),
        t("The live experiment could not start here; this is the book's figure at its settings."),
        figure = w.figure,
    );
    Ok(out)
}

/// The cargo that runs us (`cargo run` says which), or the one on `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The target folder cargo uses for this workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root.join(d) })
        .unwrap_or_else(|| root.join("target"))
}

/// Adds the WebAssembly target with rustup when it is missing. `cargo`
/// does not add a target by itself, even one `rust-toolchain.toml` names.
fn ensure_target() -> Result<(), String> {
    let how = format!("install it with `rustup target add {TARGET}`, then run `cargo run --release` again");
    let installed = match Command::new("rustup").args(["target", "list", "--installed"]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == TARGET),
        // No rustup: perhaps a toolchain that has the target anyway; the
        // build below says if not.
        _ => return Ok(()),
    };
    if installed {
        return Ok(());
    }
    println!("live experiments: adding the {TARGET} target with rustup");
    match Command::new("rustup").args(["target", "add", TARGET]).status() {
        Ok(status) if status.success() => Ok(()),
        _ => Err(format!("the {TARGET} target is missing and rustup could not add it; {how}")),
    }
}

/// Builds the live experiments for the browser and returns the module, or
/// why it could not be built (the book is then built with the static
/// figures in their place).
pub fn build_wasm(root: &Path) -> Result<PathBuf, String> {
    ensure_target()?;
    let out = Command::new(cargo())
        .current_dir(root)
        .args(["build", "--profile", "wasm", "--target", TARGET, "-p", "black-box-live"])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !out.success() {
        return Err(format!(
            "`cargo build --profile wasm --target {TARGET} -p black-box-live` failed (see above); \
             if the target is missing, run `rustup target add {TARGET}`"
        ));
    }
    let wasm = target_dir(root).join(TARGET).join("wasm/black_box_live.wasm");
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(format!("the build made no {}", wasm.display()))
    }
}

/// Writes `live/wasm.js` into the built book at `dir`: the module as
/// base64, or `null` when there is none, so that pages show their static
/// figures with a note instead of failing to load a file.
pub fn write_glue(dir: &Path, wasm: Option<&Path>) -> anyhow::Result<()> {
    let path = dir.join(GLUE);
    std::fs::create_dir_all(path.parent().expect("GLUE has a folder"))?;
    let module = match wasm {
        Some(wasm) => {
            let bytes = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
            format!("\"{}\"", data_encoding::BASE64.encode(&bytes))
        }
        None => "null".into(),
    };
    std::fs::write(
        &path,
        format!(
            "// The book's live experiments (live/ compiled to WebAssembly), as base64:\n\
             // written by `cargo run --release`, read by theme/live.js.\n\
             window.blackBoxLive = {module};\n"
        ),
    )
    .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_widget_renders_labelled_controls_at_the_book_settings_and_a_fallback() {
        let w = &black_box_live::WIDGETS[0];
        let page = PathBuf::from(format!("{}-x.md", &w.id[..4]));
        let html = widget_html(w.id, &page, "", &Strings::default()).unwrap();
        for c in w.controls {
            let id = format!("live-{}-{}", w.id, c.name);
            assert!(html.contains(&format!("<label for=\"{id}\">")), "{html}");
            assert!(html.contains(&format!("id=\"{id}\"")), "{html}");
            assert!(html.contains(&format!("data-book=\"{}\"", c.book)), "{html}");
        }
        assert!(html.contains(&format!("<img src=\"{}\"", w.figure)), "{html}");
        assert!(!html.contains("\n\n"), "a blank line would end mdBook's HTML block");
    }

    #[test]
    fn unknown_widgets_and_widgets_of_another_chapter_are_errors() {
        assert!(widget_html("ch01-nothing", Path::new("ch01-x.md"), "", &Strings::default()).is_err());
        let w = &black_box_live::WIDGETS[0];
        let err = widget_html(w.id, Path::new("ch99-x.md"), "", &Strings::default()).unwrap_err();
        assert!(err.to_string().contains("belongs to chapter"), "{err}");
    }
}
