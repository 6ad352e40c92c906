//! `xiaoge-gate demo`: the whole path on an embedded issuer, narrated step by step.
//!
//! Everything is real: an issuer with its SQLite database and key files, served over HTTP on
//! loopback; a gate enrolled over that HTTP with its own database; codes rendered as QR
//! images, put into camera-like frames and read back by the decoder. Only the camera and the
//! network beyond loopback are absent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xiaoge_gate::frames::{FrameSource, Refill, Shot, Synthetic};
use xiaoge_gate::gate::{Verdict, wall_clock};
use xiaoge_gate::i18n::Lang;
use xiaoge_gate::kiosk::app::{self, KioskOptions, display_available};
use xiaoge_gate::kiosk::model::{Input, Kiosk};
use xiaoge_gate::kiosk::probe::{median_and_p95, rss_text};
use xiaoge_gate::kiosk::scan_thread::SourceChoice;
use xiaoge_gate::kiosk::screenshots::{PlanStep, ScreenshotPlan};
use xiaoge_gate::scanner::{ScanEvent, Scanner};
use xiaoge_gate::settings::Settings;
use xiaoge_gate::sync::DEFAULT_TIMEOUT;
use xiaoge_gate::sync::Schedule;
use xiaoge_gate::synthetic::ConditionMix;
use xiaoge_gate::{Gate, clock, sync};
use xiaoge_issuer::model::{SiteInput, SiteKind};
use xiaoge_issuer::paging::PageRequest;
use xiaoge_issuer::service::InitOptions;
use xiaoge_issuer::{Issuer, http};
use xiaoge_pass::ReasonCode;
use xiaoge_pass::{RiderId, RiderStatus, SiteId};

struct Narrator {
    lang: Lang,
    step: u32,
}

impl Narrator {
    fn step(&mut self, zh: &str, en: &str) {
        self.step += 1;
        let text = match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        };
        println!("\n[{}] {text}", self.step);
    }

    fn note(&self, zh: &str, en: &str) {
        println!(
            "    {}",
            match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            }
        );
    }

    fn verdict(&self, v: &Verdict) {
        let mark = if v.reason.is_none() { "✔" } else { "✘" };
        let reason = v.reason.map_or(String::new(), |r| format!(" [{r}]"));
        println!(
            "    {mark} {}{reason}",
            xiaoge_gate::i18n::verdict_words(v, self.lang)
        );
    }
}

/// Frames a camera offers before the demo gives up on a code: at 30 frames a second, a
/// second of a rider holding up a phone.
const FRAMES_PER_CODE: u32 = 30;

/// What scanning one code took.
struct Scan {
    verdict: Verdict,
    /// Frames shown before one decoded.
    frames: u64,
    /// Milliseconds from the frame that decoded to its verdict durably logged.
    ms: f64,
}

/// Scans a code the way the camera pipeline does: synthetic frames of a phone held slightly
/// differently each time, through the scanner, until a verdict comes out.
fn scan(gate: &mut Gate, text: &str, seed: u64) -> Result<Scan> {
    let shot = Shot {
        text: Some(text.to_owned()),
        frames: FRAMES_PER_CODE,
    };
    let mut source = Synthetic::new(vec![shot], ConditionMix::demo(seed));
    let mut scanner = Scanner::default();
    let mut frames = 0;
    while let Some(frame) = source.next_frame()? {
        frames += 1;
        let (event, timing) = scanner.scan(
            gate,
            &frame.image,
            source.kind(),
            &clock::read(),
            Instant::now(),
        )?;
        if let ScanEvent::Verdict(verdict) = event {
            return Ok(Scan {
                verdict: *verdict,
                frames,
                ms: timing.decode_ms + timing.check_ms,
            });
        }
    }
    bail!("the decoder read none of {FRAMES_PER_CODE} frames of the code")
}

fn expect(v: &Verdict, reason: Option<ReasonCode>) -> Result<()> {
    if v.reason != reason {
        bail!("expected {reason:?}, the gate said {:?}", v.reason);
    }
    Ok(())
}

/// Runs the demo in `keep`, or in a temporary folder removed afterwards.
/// The narrated walk through the whole path (issue #2's demo), in `keep` or a temporary folder.
pub fn walkthrough(lang: Lang, keep: Option<&Path>) -> Result<()> {
    let (_temp, root) = workdir(keep)?;
    let mut say = Narrator { lang, step: 0 };
    let now = wall_clock();

    say.step("创建签发方（SQLite 数据库、根密钥、签名密钥），在本机回环地址上提供 HTTP 服务",
             "Create an issuer (SQLite database, root and signing keys) and serve its HTTP API on loopback");
    let options = InitOptions {
        name: "xg-demo".into(),
        ..InitOptions::default()
    };
    let issuer = Arc::new(Issuer::init(&root.join("issuer"), &options, now)?);
    let mut server = http::Background::start(&issuer, "127.0.0.1:0".parse()?, 2)?;
    say.note(
        &format!("签发方 {} 位于 {}", issuer.name(), server.url()),
        &format!("issuer {} at {}", issuer.name(), server.url()),
    );

    say.step(
        "登记平台、小区、门岗和骑手",
        "Register platforms, sites, a gate and riders",
    );
    issuer.add_platform("美团", now)?;
    issuer.add_platform("饿了么", now)?;
    let site = |name: &str| SiteInput::named(name, SiteKind::Residential);
    let home = issuer.add_site(&site("翠苑一区"), now)?;
    let other = issuer.add_site(&site("西溪花园"), now)?;
    let (_, token) = issuer.add_gate(home, "东门", now)?;
    let huang = issuer.add_rider("美团", "mt-10086", "黄小明", now)?;
    let li = issuer.add_rider("饿了么", "elm-2333", "李大伟", now)?;
    let wang = issuer.add_rider("美团", "mt-10010", "王强", now)?;
    say.note(
        &format!(
            "骑手 {} {}（{}），{} {}（{}）",
            huang.name, huang.id, huang.platform, li.name, li.id, li.platform
        ),
        &format!(
            "riders {} {} ({}), {} {} ({})",
            huang.name, huang.id, huang.platform, li.name, li.id, li.platform
        ),
    );

    say.step(
        "门岗用一次性令牌注册，固定根密钥，并下载名单",
        "The gate enrolls with its one-time token, pins the root key and fetches the lists",
    );
    let mut gate = sync::enroll(
        &root.join("gate"),
        &server.url(),
        &token,
        DEFAULT_TIMEOUT,
        wall_clock(),
    )?;
    say.note(
        &format!(
            "门岗 {} · {}，根密钥指纹 {}",
            gate.enrollment().gate_id,
            gate.enrollment().site_name,
            issuer.root_fingerprint()
        ),
        &format!(
            "gate {} at {}, root fingerprint {}",
            gate.enrollment().gate_id,
            gate.enrollment().site_name,
            issuer.root_fingerprint()
        ),
    );

    say.step(
        "黄** 出示刚刷新的通行码，摄像头读取并离线核验",
        "黄** shows a fresh code; the camera reads it and the gate verifies it offline",
    );
    let (_, fresh) = issuer.mint(&huang.id, None, wall_clock())?;
    let Scan {
        verdict: v,
        frames,
        ms,
    } = scan(&mut gate, &fresh, 1)?;
    say.verdict(&v);
    say.note(&format!("第 {frames} 帧 1280×720 画面读出；解码、核验并落盘用时 {ms:.1} ms；记录 {}", v.entry_id),
             &format!("read in frame {frames} (1280×720); decoded, verified and logged durably in {ms:.1} ms; entry {}", v.entry_id));
    expect(&v, None)?;

    say.step(
        "同一个码再出示一次（截图转发）",
        "The same code again (a forwarded screenshot)",
    );
    let v = scan(&mut gate, &fresh, 2)?.verdict;
    say.verdict(&v);
    expect(&v, Some(ReasonCode::Replayed))?;

    say.step(
        "为另一个小区（西溪花园）签发的码",
        "A code bound to another site (西溪花园)",
    );
    let (_, elsewhere) = issuer.mint(&huang.id, Some(other), wall_clock())?;
    let v = scan(&mut gate, &elsewhere, 3)?.verdict;
    say.verdict(&v);
    expect(&v, Some(ReasonCode::WrongSite))?;

    say.step("改动一个字符的码", "A code with one character altered");
    let (_, genuine) = issuer.mint(&huang.id, None, wall_clock())?;
    let tampered = alter_one_character(&genuine);
    let v = gate.check(&tampered, &clock::read())?;
    say.verdict(&v);
    if v.reason.is_none() {
        bail!("an altered code was allowed");
    }

    say.step("十分钟前的截图", "A screenshot from ten minutes ago");
    let (_, old) = issuer.mint(&huang.id, None, wall_clock().plus(-600))?;
    let v = scan(&mut gate, &old, 4)?.verdict;
    say.verdict(&v);
    expect(&v, Some(ReasonCode::Expired))?;

    say.step(
        "李** 先拿到一个码；随后监管方吊销李**，物业禁止王**进入本小区；门岗同步",
        "李** gets a code; the regulator then revokes 李**, the property bans 王**; the gate syncs",
    );
    let (_, before_revocation) = issuer.mint(&li.id, None, wall_clock())?;
    issuer.set_regulator_status(&li.id, RiderStatus::Revoked, wall_clock())?;
    issuer.ban(home, &wang.id, "多次超速骑行", wall_clock())?;
    let report = sync::sync(&mut gate, DEFAULT_TIMEOUT, wall_clock())?;
    say.note(
        &format!(
            "上传 {} 条记录；吊销名单已更新：{}；禁入名单已更新：{}",
            report.uploaded, report.status_list_updated, report.site_bundle_updated
        ),
        &format!(
            "uploaded {} entries; status list updated: {}; site bans updated: {}",
            report.uploaded, report.status_list_updated, report.site_bundle_updated
        ),
    );
    let v = scan(&mut gate, &before_revocation, 5)?.verdict;
    say.verdict(&v);
    expect(&v, Some(ReasonCode::Revoked))?;
    let (_, banned) = issuer.mint(&wang.id, None, wall_clock())?;
    let v = scan(&mut gate, &banned, 9)?.verdict;
    say.verdict(&v);
    expect(&v, Some(ReasonCode::BannedAtSite))?;

    say.step(
        "断网：签发方停止，门岗继续离线核验三个新码",
        "Network down: the issuer stops; the gate verifies three new codes offline",
    );
    let addr = server.addr();
    server.stop()?;
    for seed in 10..13 {
        let (_, code) = issuer.mint(&huang.id, Some(home), wall_clock())?;
        let v = scan(&mut gate, &code, seed)?.verdict;
        say.verdict(&v);
        expect(&v, None)?;
    }
    let pending = gate.status(&clock::read())?.pending_entries;
    say.note(
        &format!("{pending} 条记录等待上传"),
        &format!("{pending} entries waiting to upload"),
    );

    say.step(
        "网络恢复：同步两次，第二次不会重复上传",
        "Network back: sync twice; the second adds nothing",
    );
    let mut server = http::Background::start(&issuer, addr, 2)?;
    let first = sync::sync(&mut gate, DEFAULT_TIMEOUT, wall_clock())?;
    let second = sync::sync(&mut gate, DEFAULT_TIMEOUT, wall_clock())?;
    say.note(
        &format!(
            "第一次上传 {} 条，第二次上传 {} 条",
            first.uploaded, second.uploaded
        ),
        &format!(
            "first sync uploaded {}, second {}",
            first.uploaded, second.uploaded
        ),
    );
    let held = issuer.entries()?.len();
    let logged = gate.log(xiaoge_pass::UnixTime(0))?.len();
    say.note(
        &format!("签发方共有 {held} 条记录，门岗日志 {logged} 条：一条不少，一条不重"),
        &format!(
            "the issuer holds {held} entries and the gate logged {logged}: none lost, none twice"
        ),
    );
    if held != logged || second.uploaded != 0 {
        bail!("entries were lost or counted twice");
    }
    server.stop()?;
    if let Some(dir) = keep {
        say.note(
            &format!("数据保存在 {}", dir.display()),
            &format!("data kept in {}", dir.display()),
        );
    }
    Ok(())
}

/// The folder a demo keeps its issuer and gate in: `keep`, or a temporary one removed when
/// the guard (first element) is dropped.
fn workdir(keep: Option<&Path>) -> Result<(Option<tempfile::TempDir>, PathBuf)> {
    match keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            Ok((None, dir.to_owned()))
        }
        None => {
            let temp = tempfile::tempdir().context("creating a temporary folder")?;
            let root = temp.path().to_owned();
            Ok((Some(temp), root))
        }
    }
}

/// The guard PIN of the demo gate.
pub const DEMO_PIN: &str = "1234";
/// Frames each rider holds a code up in the demo stream (two thirds of a second).
const SHOT_FRAMES: u32 = 20;
/// Empty frames between riders: longer than a verdict stays on screen and than the
/// scanner's debounce, so that a code shown again counts as a second attempt.
const GAP_FRAMES: u32 = 140;

/// The demo city, an issuer serving it, and a gate enrolled at one of its sites.
struct DemoWorld {
    issuer: Arc<Issuer>,
    server: http::Background,
    state: PathBuf,
    home: SiteId,
    other: SiteId,
    valid: RiderId,
    revoked: RiderId,
    banned: RiderId,
    suspended: RiderId,
}

impl DemoWorld {
    fn build(root: &Path, lang: Lang) -> Result<Self> {
        let now = wall_clock();
        let options = InitOptions {
            name: "xg-demo".into(),
            ..InitOptions::default()
        };
        let issuer = Arc::new(Issuer::init(&root.join("issuer"), &options, now)?);
        let city = issuer.seed_demo_city(300, 3, now)?;
        let server = http::Background::start(&issuer, "127.0.0.1:0".parse()?, 2)?;
        let sites = issuer.sites(&PageRequest::first())?.items;
        let (home, other) = match sites.as_slice() {
            [first, second, ..] => (first.id, second.id),
            _ => bail!("the demo city has fewer than two sites"),
        };
        let token = city
            .gate_tokens
            .iter()
            .find(|(site, _, _)| *site == sites[0].name)
            .map(|(_, _, token)| token.clone())
            .context("the demo city has no gate token for its first site")?;
        let add = |id: &str, name: &str| issuer.add_rider("美团", id, name, now).map(|r| r.id);
        let valid = add("demo-1", "黄小明")?;
        let revoked = add("demo-2", "李大伟")?;
        let banned = add("demo-3", "王强")?;
        let suspended = add("demo-4", "赵敏")?;
        issuer.set_regulator_status(&revoked, RiderStatus::Revoked, now)?;
        issuer.set_regulator_status(&suspended, RiderStatus::Suspended, now)?;
        issuer.ban(home, &banned, "多次超速骑行", now)?;
        let state = root.join("gate");
        let gate = sync::enroll(&state, &server.url(), &token, DEFAULT_TIMEOUT, wall_clock())?;
        Settings::of(&gate).set_pin(DEMO_PIN)?;
        Settings::of(&gate).set_language(lang)?;
        Ok(Self {
            issuer,
            server,
            state,
            home,
            other,
            valid,
            revoked,
            banned,
            suspended,
        })
    }

    /// A maker of endless streams: each round shows every case the demo has, with codes
    /// minted just before they are shown (a round outlasts a code's two minutes).
    fn feed(&self) -> impl FnMut() -> Refill + use<> {
        let issuer = Arc::clone(&self.issuer);
        let (home, other) = (self.home, self.other);
        let riders = [
            self.valid.clone(),
            self.revoked.clone(),
            self.banned.clone(),
            self.suspended.clone(),
        ];
        move || {
            let issuer = Arc::clone(&issuer);
            let riders = riders.clone();
            let mut case = 0usize;
            let mut shown = None;
            Box::new(move || {
                let text = next_case(&issuer, home, other, &riders, case, &mut shown);
                case = (case + 1) % CASES;
                let shot = text.map(|text| Shot {
                    text: Some(text),
                    frames: SHOT_FRAMES,
                });
                shot.into_iter()
                    .chain(std::iter::once(Shot {
                        text: None,
                        frames: GAP_FRAMES,
                    }))
                    .collect()
            })
        }
    }
}

/// The cases a demo round shows, in order.
const CASES: usize = 8;

/// The code for case `case` of a round, minted now: a valid code, an old screenshot, the
/// valid code again, a revoked rider's code, another site's code, a tampered code, a banned
/// rider's and a suspended rider's. A code that cannot be minted is skipped.
fn next_case(
    issuer: &Issuer,
    home: SiteId,
    other: SiteId,
    riders: &[RiderId; 4],
    case: usize,
    shown: &mut Option<String>,
) -> Option<String> {
    let now = wall_clock();
    let [valid, revoked, banned, suspended] = riders;
    let mint = |rider: &RiderId, site: Option<SiteId>, at| {
        issuer.mint(rider, site, at).ok().map(|(_, t)| t)
    };
    let drill = |rider: &RiderId| issuer.mint_drill(rider, None, now).ok().map(|(_, t)| t);
    match case {
        0 => {
            *shown = mint(valid, Some(home), now);
            shown.clone()
        }
        1 => mint(valid, None, now.plus(-600)),
        2 => shown.clone(),
        3 => drill(revoked),
        4 => mint(valid, Some(other), now),
        5 => mint(valid, None, now).map(|t| alter_one_character(&t)),
        6 => mint(banned, None, now),
        _ => drill(suspended),
    }
}

/// What `demo` shows and how.
pub struct DemoOptions {
    /// Language.
    pub lang: Lang,
    /// Keep the data here.
    pub keep: Option<PathBuf>,
    /// No window: print the verdicts.
    pub headless: bool,
    /// A window instead of full screen.
    pub windowed: bool,
    /// Stop after this many frames and report latency and memory (0: run until quit, or
    /// one round headless).
    pub frames: u64,
    /// Save a tour of screenshots here, then quit.
    pub screenshots: Option<PathBuf>,
    /// The window's size in points.
    pub size: [f32; 2],
}

/// The kiosk on the demo city, in a window or headless.
pub fn kiosk(options: DemoOptions) -> Result<()> {
    let (_temp, root) = workdir(options.keep.as_deref())?;
    if !options.headless && !display_available() {
        eprintln!("no display: running the demo headless (verdicts printed, no window)");
        return kiosk(DemoOptions {
            headless: true,
            keep: Some(root),
            ..options
        });
    }
    let world = DemoWorld::build(&root, options.lang)?;
    println!(
        "demo city: issuer {} at {}; gate in {}; guard PIN {DEMO_PIN}",
        world.issuer.name(),
        world.server.url(),
        world.state.display()
    );
    let mut make_feed = world.feed();
    if options.headless {
        return headless(&world, make_feed(), options.lang, options.frames);
    }
    let plan = options.screenshots.map(|dir| tour(dir, options.lang));
    let kiosk_options = KioskOptions {
        state: world.state.clone(),
        source: SourceChoice::Synthetic(make_feed()),
        schedule: Schedule {
            interval: std::time::Duration::from_secs(30),
            ..Schedule::default()
        },
        stop_after_frames: options.frames,
        paced: options.frames == 0,
        window_size: options.size,
    };
    app::run(
        kiosk_options,
        options.windowed || plan.is_some(),
        Some(Box::new(make_feed)),
        plan,
    )
    .map_err(|e| anyhow::anyhow!("the kiosk window failed: {e}"))
}

/// The demo stream through the same scanner and state machine as the window, printing each
/// verdict: one round, or `frames` frames.
fn headless(world: &DemoWorld, feed: Refill, lang: Lang, frames: u64) -> Result<()> {
    let mut gate = Gate::open(&world.state)?;
    let mut source = Synthetic::endless(ConditionMix::demo(1), feed);
    let mut scanner = Scanner::default();
    let mut kiosk = Kiosk::new(lang, Settings::of(&gate).pin_hash()?, None);
    let start = Instant::now();
    let limit = if frames > 0 {
        frames
    } else {
        u64::from(SHOT_FRAMES + GAP_FRAMES) * CASES as u64
    };
    let mut to_verdict = Vec::new();
    for n in 0..limit {
        let Some(frame) = source.next_frame()? else {
            break;
        };
        // The camera's timeline, 30 frames a second, whatever the speed of this machine.
        let seen_at = start + std::time::Duration::from_millis(n * 33);
        let (event, timing) = scanner.scan(
            &mut gate,
            &frame.image,
            source.kind(),
            &clock::read(),
            seen_at,
        )?;
        if let ScanEvent::Verdict(v) = &event {
            to_verdict.push(timing.decode_ms + timing.check_ms);
            let reason = v.reason.map(|r| format!(" [{r}]")).unwrap_or_default();
            println!(
                "{:<10} {}{reason}  ({:.1} ms)",
                frame.label,
                xiaoge_gate::i18n::verdict_words(v, lang),
                timing.decode_ms + timing.check_ms
            );
        }
        kiosk.handle(Input::Scanned(event), seen_at);
    }
    let (median, p95) = median_and_p95(&to_verdict);
    println!(
        "{limit} frames, {} verdicts; frame to durably logged verdict median {median:.1} ms \
         (p95 {p95:.1}); resident memory {}",
        to_verdict.len(),
        rss_text()
    );
    Ok(())
}

/// The screenshot tour: scanning, an allow, a deny, the override form, the manual form, the
/// log, the PIN pad and the settings, in the demo's language and then in the other.
fn tour(dir: PathBuf, lang: Lang) -> ScreenshotPlan {
    use xiaoge_pass::api::Decision;
    let mut steps = Vec::new();
    let other = match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    let unlock: Vec<Input> = std::iter::once(Input::OpenSettings)
        .chain(DEMO_PIN.chars().map(Input::PinDigit))
        .collect();
    for (prefix, next) in [(lang, Some(other)), (other, None)] {
        let name = |screen: &str| {
            let code = match prefix {
                Lang::Zh => "zh",
                Lang::En => "en",
            };
            format!("{code}-{screen}.png")
        };
        steps.push(PlanStep::WaitScanning);
        steps.push(PlanStep::Capture(name("scanning")));
        steps.push(PlanStep::WaitVerdict(Decision::Allow));
        steps.push(PlanStep::Capture(name("allow")));
        steps.push(PlanStep::WaitVerdict(Decision::Deny));
        steps.push(PlanStep::Capture(name("deny")));
        steps.push(PlanStep::Apply(vec![Input::StartOverride]));
        steps.push(PlanStep::Capture(name("override")));
        steps.push(PlanStep::Apply(vec![Input::OpenManual]));
        steps.push(PlanStep::Capture(name("manual")));
        steps.push(PlanStep::Apply(vec![Input::OpenLog]));
        steps.push(PlanStep::Capture(name("log")));
        steps.push(PlanStep::Apply(vec![Input::OpenSettings]));
        steps.push(PlanStep::Capture(name("pin")));
        steps.push(PlanStep::Apply(unlock.clone()));
        steps.push(PlanStep::Capture(name("settings")));
        let mut leave = vec![];
        if let Some(next) = next {
            leave.push(Input::SetLang(next));
        }
        leave.push(Input::Back);
        steps.push(PlanStep::Apply(leave));
    }
    ScreenshotPlan::new(dir, steps)
}

/// Changes one character near the end of the text (inside the signature) to another Base45
/// character.
fn alter_one_character(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = chars.len().saturating_sub(8);
    if let Some(c) = chars.get_mut(at) {
        *c = if *c == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}
