//! The book as readers see it: headless Chromium, driven over the DevTools
//! protocol, loads every page of the built book from a localhost server and
//! checks what a reader would notice. `cargo run --release -- browser`.
//!
//! The protocol client is a few functions over one WebSocket: send a
//! command with an id, read messages until the answer with that id comes
//! back, and keep the events (console messages, exceptions) on the way.

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};

/// Where Chromium is: `$CHROMIUM`, or the first of the usual names on PATH.
pub fn find_chromium() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "Chromium was not found, so the browser checks cannot run.\n\
         Install it (Debian/Ubuntu: `sudo apt-get install chromium`) or point CHROMIUM at a Chromium or Chrome binary."
    )
}

/// A headless Chromium with one page, and its DevTools connection.
pub struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Console errors and uncaught exceptions since the last `take_errors`.
    errors: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium headless with a fresh profile and connects to its page.
    pub fn launch(chromium: &Path) -> anyhow::Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("black-box-chromium-")
            .tempdir()?;
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", chromium.display()))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let port = loop {
            let line = lines
                .next()
                .ok_or_else(|| anyhow!("Chromium exited before opening DevTools"))??;
            if let Some(url) = line.strip_prefix("DevTools listening on ws://") {
                let port = url
                    .split(['/', ':'])
                    .nth(1)
                    .and_then(|p| p.parse::<u16>().ok());
                break port
                    .ok_or_else(|| anyhow!("cannot read the DevTools port from `{line}`"))?;
            }
        };
        // Keep draining stderr so Chromium never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let targets: Value = serde_json::from_str(&http_get(port, "/json/list")?)?;
        let ws_url = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .ok_or_else(|| anyhow!("Chromium has no page target"))?
            .to_string();
        let (socket, _) =
            tungstenite::connect(ws_url.as_str()).context("connecting to DevTools")?;
        let mut browser = Browser {
            child,
            socket,
            next_id: 0,
            errors: Vec::new(),
            _profile: profile,
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}))?;
        }
        Ok(browser)
    }

    /// Sends one command and waits for its result.
    pub fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({ "id": id, "method": method, "params": params });
        self.socket.send(Message::text(request.to_string()))?;
        loop {
            let message: Value = match self.socket.read()? {
                Message::Text(text) => serde_json::from_str(&text)?,
                _ => continue,
            };
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    bail!("{method} failed: {error}");
                }
                return Ok(message["result"].clone());
            }
            self.record(&message);
        }
    }

    fn record(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let d = &params["exceptionDetails"];
                self.errors.push(format!(
                    "uncaught exception: {} {}",
                    d["text"], d["exception"]["description"]
                ));
            }
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                self.errors
                    .push(format!("console.error: {}", params["args"]));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                self.errors.push(format!(
                    "{}: {}",
                    params["entry"]["url"], params["entry"]["text"]
                ));
            }
            _ => {}
        }
    }

    /// Errors logged since the last call.
    pub fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }

    /// Opens `url` and waits until the page has loaded.
    pub fn open(&mut self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({ "url": url }))?;
        self.wait_until("document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)")
    }

    /// Evaluates a JavaScript expression in the page and returns its value.
    pub fn eval(&mut self, expression: &str) -> anyhow::Result<Value> {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            bail!("`{expression}` threw {e}");
        }
        Ok(r["result"]["value"].clone())
    }

    /// Polls a JavaScript condition until it is true (thirty seconds at
    /// most: the longest chapters, with their figures and typeset math,
    /// took more than five seconds to load on a busy two-core machine).
    pub fn wait_until(&mut self, condition: &str) -> anyhow::Result<()> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if self.eval(condition)? == Value::Bool(true) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        bail!("timed out waiting for `{condition}`")
    }

    /// Sets the viewport in CSS pixels; `mobile` emulates a phone.
    pub fn viewport(&mut self, width: u32, height: u32, mobile: bool) -> anyhow::Result<()> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )?;
        Ok(())
    }

    /// Runs `source` in every page opened from now on, before the page's
    /// own scripts; returns an id for [`Browser::remove_script`].
    pub fn add_script(&mut self, source: &str) -> anyhow::Result<String> {
        let r = self.call("Page.addScriptToEvaluateOnNewDocument", json!({ "source": source }))?;
        Ok(r["identifier"].as_str().unwrap_or_default().to_string())
    }

    /// Stops running a script of [`Browser::add_script`].
    pub fn remove_script(&mut self, id: &str) -> anyhow::Result<()> {
        self.call("Page.removeScriptToEvaluateOnNewDocument", json!({ "identifier": id }))?;
        Ok(())
    }

    /// Presses and releases a key (`"ArrowRight"`) in the focused element.
    pub fn press(&mut self, key: &str, code: u32) -> anyhow::Result<()> {
        for kind in ["rawKeyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code }),
            )?;
        }
        Ok(())
    }

    /// A PNG of the element that `selector` finds, scrolled into view.
    pub fn screenshot_of(&mut self, selector: &str) -> anyhow::Result<Vec<u8>> {
        let rect = self.eval(&format!(
            "(() => {{ const e = document.querySelector({selector:?}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); \
             return {{ x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }}; }})()"
        ))?;
        let r = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"], "scale": 1 } }),
        )?;
        let data = r["data"].as_str().unwrap_or_default();
        Ok(data_encoding::BASE64.decode(data.as_bytes())?)
    }

    /// A PNG of the visible part of the page.
    pub fn screenshot(&mut self) -> anyhow::Result<Vec<u8>> {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }))?;
        let data = r["data"].as_str().unwrap_or_default();
        Ok(data_encoding::BASE64.decode(data.as_bytes())?)
    }
}

fn http_get(port: u16, path: &str) -> anyhow::Result<String> {
    // DevTools keeps the connection open, so read exactly Content-Length
    // bytes; it may also announce its port a moment before it answers.
    for _ in 0..50 {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            &stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )?;
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse()?;
            }
            if line.trim().is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        if length > 0 {
            return Ok(String::from_utf8(body)?);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("DevTools did not answer {path}")
}
