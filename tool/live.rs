//! The live experiments in the pages: the `{{#live id}}` directive, which
//! renders a widget of `black_box_live::WIDGETS` as HTML (its controls, an
//! empty chart, its readouts and the static figure to fall back on), and
//! the build of the crate for `wasm32-unknown-unknown`, whose module is
//! written into the book as `live/wasm.js` (base64, so that the book also
//! runs from `file://`, where pages may not fetch files). `theme/live.js`
//! loads it on every page that has a widget.

use anyhow::{Context, bail};
use black_box_live::{Input, Widget};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The WebAssembly target.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// Where the module goes in the built book, relative to its root.
pub const GLUE: &str = "live/wasm.js";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The HTML of widget `id` on `page` (relative to `src/`); `to_root` leads
/// from the page to the book's root.
pub fn widget_html(id: &str, page: &Path, to_root: &str) -> anyhow::Result<String> {
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
         data-log-x=\"{}\" data-log-y=\"{}\" data-glue=\"{to_root}{GLUE}\">\n\
         <figcaption><span class=\"live-badge\">Live</span> {}</figcaption>\n\
         <div class=\"live-controls\">\n",
        w.log_x,
        w.log_y,
        escape(w.caption),
    );
    for c in w.controls {
        let control_id = format!("live-{id}-{}", c.name);
        let _ = write!(out, "<div class=\"live-control\"><label for=\"{control_id}\">{}</label>", escape(c.label));
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
                    let _ = write!(out, "<option value=\"{i}\"{selected}>{}</option>", escape(option));
                }
                out.push_str("</select>");
            }
        }
        out.push_str("</div>\n");
    }
    out.push_str("<button type=\"button\" class=\"live-reset\" disabled>Book settings</button>\n</div>\n");
    let _ = writeln!(
        out,
        "<div class=\"live-chart\" role=\"img\" aria-label=\"{}\" data-x-label=\"{}\" data-y-label=\"{}\"></div>",
        escape(w.caption),
        escape(w.x_label),
        escape(w.y_label),
    );
    out.push_str("<dl class=\"live-readouts\">");
    for r in w.readouts {
        let claim = match r.claim {
            Some(claim) => format!(
                " data-claim=\"{claim}\" data-ledger=\"{to_root}appendix/ledger.html#ledger-{claim}\""
            ),
            None => String::new(),
        };
        let _ = write!(out, "<div><dt>{}</dt><dd{claim}>…</dd></div>", escape(r.label));
    }
    out.push_str("</dl>\n<p class=\"live-note\" aria-live=\"polite\">Loading the live experiment…</p>\n");
    let _ = write!(
        out,
        "<div class=\"live-fallback\"><img src=\"{to_root}{figure}\" alt=\"The book's figure at its settings\">\
         <p class=\"live-why\">The live experiment could not start here; this is the book's figure at \
         its settings.</p></div>\n</figure>",
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
        let html = widget_html(w.id, &page, "").unwrap();
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
        assert!(widget_html("ch01-nothing", Path::new("ch01-x.md"), "").is_err());
        let w = &black_box_live::WIDGETS[0];
        let err = widget_html(w.id, Path::new("ch99-x.md"), "").unwrap_err();
        assert!(err.to_string().contains("belongs to chapter"), "{err}");
    }
}
