//! Just enough of the W3C WebDriver protocol to drive Debian's headless Chromium through
//! `chromedriver`: open pages, find elements, type, click, read text and take screenshots.
//!
//! The browser tests use the system's Chromium rather than a downloaded one, so they test
//! what a rider's phone would run and need nothing from the network. `scripts/browser-deps`
//! installs both packages.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The key W3C WebDriver names a found element by.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Chromium binary and its WebDriver, as Debian installs them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";

/// The page size a browser session emulates.
#[derive(Clone, Copy, Debug)]
pub enum Screen {
    /// A 360 px wide phone at 2× pixel density (a common budget Android phone).
    Phone,
    /// A 1280×900 desktop window, as a regulator's office computer shows the dashboard.
    Desktop,
}

/// A `chromedriver` process with one headless Chromium session.
pub struct Browser {
    driver: Child,
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT/session/ID`: where this session's commands go.
    session: String,
}

/// An element found on the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts `chromedriver` on a free loopback port and opens a headless Chromium session.
    ///
    /// # Panics
    /// If Chromium or chromedriver is missing (the message says how to install them) or
    /// the session cannot start.
    #[must_use]
    pub fn start(screen: Screen) -> Self {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: run scripts/browser-deps (apt-get install chromium \
             chromium-driver fonts-droid-fallback)"
        );
        let mut driver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {CHROMEDRIVER} ({e}): run scripts/browser-deps \
                     (apt-get install chromium-driver)"
                )
            });
        let port = driver_port(&mut driver);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .new_agent();
        let mut args = vec![
            "--headless=new",
            // Containers and CI runners have no user namespaces for Chromium's sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--lang=zh-CN",
        ];
        // A Chinese phone: the pages choose their language from Accept-Language.
        let mut options = json!({
            "binary": CHROMIUM,
            "prefs": { "intl.accept_languages": "zh-CN,zh" },
        });
        match screen {
            Screen::Phone => {
                options["mobileEmulation"] = json!({
                    "deviceMetrics": { "width": 360, "height": 780, "pixelRatio": 2.0, "touch": true },
                    "userAgent": "Mozilla/5.0 (Linux; Android 13; Phone) AppleWebKit/537.36 \
                                  (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
                });
            }
            Screen::Desktop => args.push("--window-size=1280,900"),
        }
        options["args"] = json!(args);
        let mut browser = Self {
            driver,
            agent,
            session: format!("http://127.0.0.1:{port}/session"),
        };
        let created = browser.command(
            "POST",
            "",
            Some(&json!({
                "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": options,
                }}
            })),
        );
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver made no session: {created}"))
            .to_owned();
        browser.session = format!("{}/{id}", browser.session);
        browser
    }

    /// Sends one WebDriver command to `{session}{path}` and returns its `value`.
    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let url = format!("{}{path}", self.session);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(&json!({})).to_string()),
        };
        let mut response =
            response.unwrap_or_else(|e| panic!("WebDriver {method} {url} failed: {e}"));
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_else(|e| panic!("WebDriver {method} {url}: unreadable answer: {e}"));
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("WebDriver {method} {url}: not JSON ({e}): {text}"));
        assert!(
            status.is_success(),
            "WebDriver {method} {url} answered {status}: {}",
            answer["value"]
        );
        answer["value"].clone()
    }

    /// Opens `url` and waits for the page to load.
    pub fn open(&self, url: &str) {
        self.command("POST", "/url", Some(&json!({ "url": url })));
    }

    /// The current page's URL.
    #[must_use]
    pub fn url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The first element matching a CSS selector, if there is one now.
    #[must_use]
    pub fn find(&self, css: &str) -> Option<Element> {
        let found = self.command(
            "POST",
            "/elements",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .and_then(|all| all.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_owned()))
    }

    /// Waits up to `timeout` for an element matching `css`.
    ///
    /// # Panics
    /// If none appears; the message holds the page's text.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(element) = self.find(css) {
                return element;
            }
            assert!(
                start.elapsed() < timeout,
                "no {css:?} on {} within {timeout:?}; the page says: {}",
                self.url(),
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The visible text of an element.
    #[must_use]
    pub fn text(&self, element: &Element) -> String {
        self.command("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An attribute of an element, if it has it.
    #[must_use]
    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.command(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            None,
        )
        .as_str()
        .map(str::to_owned)
    }

    /// The visible text of the whole page.
    #[must_use]
    pub fn page_text(&self) -> String {
        self.find("body")
            .map(|body| self.text(&body))
            .unwrap_or_default()
    }

    /// Types `text` into an element (after what it already holds).
    pub fn type_into(&self, element: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(&json!({ "text": text })),
        );
    }

    /// Clicks an element, as a finger would.
    pub fn click(&self, element: &Element) {
        self.command("POST", &format!("/element/{}/click", element.0), None);
    }

    /// Runs a script in the page and returns what it returns.
    pub fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": [] })),
        )
    }

    /// Forgets every cookie: the browser is signed out everywhere.
    pub fn clear_cookies(&self) {
        self.command("DELETE", "/cookie", None);
    }

    /// Takes a screenshot of the viewport, as the phone's screen shows it, into `path`.
    pub fn screenshot(&self, path: &Path) {
        let encoded = self.command("GET", "/screenshot", None);
        write_png(&encoded, path);
    }

    /// Takes a screenshot of the whole page, however long, into `path`.
    pub fn full_screenshot(&self, path: &Path) {
        let size = self.script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];",
        );
        let shot = self.command(
            "POST",
            "/goog/cdp/execute",
            Some(&json!({
                "cmd": "Page.captureScreenshot",
                "params": {
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1 }
                }
            })),
        );
        write_png(&shot["data"], path);
    }
}

/// Writes a base64 PNG as WebDriver and DevTools send them.
fn write_png(encoded: &Value, path: &Path) {
    let png = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the screenshot is not base64: {e}"));
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
    std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.ends_with("/session") {
            let _ = self.agent.delete(&self.session).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Reads the port chromedriver says it listens on.
fn driver_port(driver: &mut Child) -> u16 {
    let stdout = driver.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line
                .split("started successfully on port ")
                .nth(1)
                .and_then(|rest| rest.trim_end_matches('.').trim().parse::<u16>().ok())
            {
                let _ = tx.send(port);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("chromedriver says which port it listens on within 30 s")
}
