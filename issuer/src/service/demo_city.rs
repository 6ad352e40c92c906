//! `xiaoge-issuer demo`: a believable demo city in Hangzhou — platforms, sites of every kind
//! with building guides and parking, gates, a few thousand riders, bans, complaints and two
//! weeks of gate traffic — so that every report has something to show.
//!
//! Names and layouts come from a seeded generator, so two runs make the same city; only keys,
//! tokens and pseudonyms are fresh.

use serde::Serialize;
use uuid::Uuid;
use xiaoge_pass::api::{Decision, Entry, EntryMethod};
use xiaoge_pass::{SiteId, UnixTime};

use super::Issuer;
use crate::error::{IssuerError, Result};
use crate::model::{
    Building, ParkingSpot, RiderComplaint, RosterRow, RosterStatus, SiteInput, SiteKind,
};
use crate::paging;

/// What the demo city holds, with the secrets needed to use it.
#[derive(Clone, Debug, Serialize)]
pub struct DemoCity {
    /// Platforms and their API keys.
    pub platforms: Vec<(String, String)>,
    /// Sites created.
    pub sites: usize,
    /// Gates created, with the enrollment tokens of the first few.
    pub gates: usize,
    /// Enrollment tokens: (site name, gate name, token).
    pub gate_tokens: Vec<(String, String, String)>,
    /// Riders registered.
    pub riders: usize,
    /// Entries of demo history logged.
    pub entries: usize,
    /// An admin token for the HTTP API.
    pub admin_token: String,
}

/// A small deterministic generator: the city's layout is the same on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const DISTRICTS: [&str; 8] = [
    "西湖区",
    "拱墅区",
    "上城区",
    "滨江区",
    "余杭区",
    "萧山区",
    "临平区",
    "钱塘区",
];

const RESIDENTIAL: [&str; 24] = [
    "翠苑一区",
    "翠苑二区",
    "文鼎苑",
    "古荡新村",
    "嘉绿苑",
    "西溪诚园",
    "蒋村花园",
    "金色海岸",
    "闻涛苑",
    "东方郡",
    "星洲花园",
    "江南春城",
    "都市水乡",
    "和睦新村",
    "大关苑",
    "朝晖六区",
    "采荷新村",
    "景芳三区",
    "湘湖人家",
    "缤纷小区",
    "丽水苑",
    "南都花园",
    "亲亲家园",
    "青枫墅园",
];
const COMMERCIAL: [&str; 6] = [
    "湖滨步行街",
    "西溪印象城",
    "来福士广场",
    "万象城",
    "星光大道",
    "龙湖天街",
];
const OFFICE: [&str; 6] = [
    "黄龙国际中心",
    "浙商财富中心",
    "西湖国际科技大厦",
    "华星时代广场",
    "钱江国际时代广场",
    "江虹国际创意园",
];
const CAMPUS: [&str; 4] = ["云栖小镇", "海创园", "白马湖创意城", "梦想小镇"];

const PLATFORMS: [(&str, usize); 7] = [
    ("美团", 40),
    ("饿了么", 30),
    ("顺丰同城", 8),
    ("京东秒送", 8),
    ("闪送", 6),
    ("达达", 5),
    ("UU跑腿", 3),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤";

const GATE_NAMES: [&str; 4] = ["东门", "南门", "西门", "北门"];

impl Issuer {
    /// Refuses to seed the demo city into an issuer that already holds sites or platforms:
    /// its made-up riders, gates and traffic would mix with the real ones for good.
    pub fn check_empty_for_demo(&self) -> Result<()> {
        let (sites, _, _) = self.store.site_coverage()?;
        let platforms = paging::every(|page| self.platforms(page))?.len();
        if sites > 0 || platforms > 0 {
            return Err(IssuerError::Conflict(format!(
                "{} already holds {sites} sites and {platforms} platforms; the demo city would \
                 be mixed into them for good: use a new directory, or --force to add it anyway",
                self.dir.display()
            )));
        }
        Ok(())
    }

    /// Seeds the demo city with `riders` riders and `history_days` days of gate traffic
    /// ending at `now`.
    pub fn seed_demo_city(
        &self,
        riders: usize,
        history_days: i64,
        now: UnixTime,
    ) -> Result<DemoCity> {
        let mut dice = Dice(0x5EED_C17E_2026_u64);
        let admin_token = self.add_admin_token("demo", now)?;

        let mut platforms = Vec::new();
        for (name, _) in PLATFORMS {
            let (_, key) = self.add_platform(name, now)?;
            platforms.push((name.to_owned(), key));
        }

        let catalogue: Vec<(&str, SiteKind)> = RESIDENTIAL
            .iter()
            .map(|n| (*n, SiteKind::Residential))
            .chain(COMMERCIAL.iter().map(|n| (*n, SiteKind::Commercial)))
            .chain(OFFICE.iter().map(|n| (*n, SiteKind::Office)))
            .chain(CAMPUS.iter().map(|n| (*n, SiteKind::Campus)))
            .collect();
        let mut sites: Vec<(SiteId, String)> = Vec::new();
        let mut gate_ids: Vec<(u64, SiteId)> = Vec::new();
        let mut gate_tokens = Vec::new();
        for (i, (name, kind)) in catalogue.iter().enumerate() {
            let district = dice.pick(&DISTRICTS).to_owned();
            // The first site is the demo gate's: its guard picks buildings from the guide.
            let with_guide = dice.chance(75) || i == 0;
            let buildings = if with_guide {
                demo_buildings(&mut dice, *kind)
            } else {
                Vec::new()
            };
            let parking = if dice.chance(65) {
                demo_parking(&mut dice)
            } else {
                Vec::new()
            };
            let input = SiteInput {
                name: (*name).to_owned(),
                kind: *kind,
                address: format!(
                    "杭州市{district}{}路{}号",
                    dice.pick(&[
                        "文三",
                        "教工",
                        "莫干山",
                        "古墩",
                        "江南",
                        "钱江",
                        "学院",
                        "湖墅"
                    ]),
                    10 + dice.below(400)
                ),
                district,
                buildings,
                parking,
            };
            let site = self.add_site(&input, now)?;
            for gate_name in GATE_NAMES.iter().take(1 + dice.below(2)) {
                let (gate, token) = self.add_gate(site, gate_name, now)?;
                gate_ids.push((gate, site));
                if i < 3 {
                    gate_tokens.push(((*name).to_owned(), (*gate_name).to_owned(), token));
                }
            }
            sites.push((site, (*name).to_owned()));
        }

        let surnames: Vec<char> = SURNAMES.chars().collect();
        let total_weight: usize = PLATFORMS.iter().map(|(_, w)| w).sum();
        let mut counts: Vec<usize> = PLATFORMS
            .iter()
            .map(|(_, w)| riders * w / total_weight)
            .collect();
        counts[0] += riders - counts.iter().sum::<usize>();
        let mut all_riders = Vec::with_capacity(riders);
        for (p, ((platform, _), count)) in PLATFORMS.iter().zip(counts).enumerate() {
            let rows: Vec<RosterRow> = (0..count)
                .map(|i| RosterRow {
                    platform_rider_id: format!("{}-{:06}", p + 1, i + 1),
                    name: format!("{}**", surnames[dice.below(surnames.len())]),
                    status: match dice.below(100) {
                        0 => RosterStatus::Revoked,
                        1 | 2 => RosterStatus::Suspended,
                        _ => RosterStatus::Active,
                    },
                })
                .collect();
            let platform_row = self.platform(platform)?;
            for chunk in rows.chunks(crate::model::MAX_ROSTER_ROWS) {
                let applied = self.upsert_roster(&platform_row, chunk, now)?;
                all_riders.extend(applied.results.into_iter().map(|r| r.rider_id));
            }
        }

        for _ in 0..(all_riders.len() / 500).max(1) {
            let (site, _) = sites[dice.below(sites.len())];
            let rider = &all_riders[dice.below(all_riders.len())];
            self.ban(site, rider, "多次超速骑行，物业决定禁止进入", now)?;
            let (site, _) = sites[dice.below(sites.len())];
            let rider = &all_riders[dice.below(all_riders.len())];
            let complaint = RiderComplaint {
                rider: rider.clone(),
                category: dice
                    .pick(&["speeding", "rude", "blocked_fire_lane", "littering"])
                    .to_owned(),
                note: "保安记录".into(),
            };
            self.complain(
                site,
                &complaint,
                now.plus(-(dice.below(history_days.max(1) as usize) as i64) * 86_400),
            )?;
        }

        let entries = self.seed_history(&mut dice, &gate_ids, &all_riders, history_days, now)?;
        Ok(DemoCity {
            platforms,
            sites: sites.len(),
            gates: gate_ids.len(),
            gate_tokens,
            riders: all_riders.len(),
            entries,
            admin_token,
        })
    }

    /// Logs `days` of plausible gate traffic, as if each demo gate had synced.
    fn seed_history(
        &self,
        dice: &mut Dice,
        gates: &[(u64, SiteId)],
        riders: &[xiaoge_pass::RiderId],
        days: i64,
        now: UnixTime,
    ) -> Result<usize> {
        if riders.is_empty() {
            return Ok(0);
        }
        const REASONS: [(&str, u64); 6] = [
            ("expired", 35),
            ("replayed", 25),
            ("wrong_site", 15),
            ("revoked", 10),
            ("bad_signature", 10),
            ("banned_at_site", 5),
        ];
        let mut total = 0;
        for &(gate, site) in gates {
            let gate_row =
                self.store
                    .gate(gate)?
                    .ok_or_else(|| crate::error::IssuerError::NotFound {
                        what: "gate",
                        id: gate.to_string(),
                    })?;
            let mut batch = Vec::new();
            for day in 0..days {
                let per_day = 40 + dice.below(120);
                for _ in 0..per_day {
                    let at = now.plus(-(day * 86_400) - dice.below(86_400) as i64);
                    let denied = dice.chance(4);
                    let reason = denied.then(|| {
                        let mut roll = dice.below(100) as u64;
                        REASONS
                            .iter()
                            .find(|(_, w)| {
                                let hit = roll < *w;
                                roll = roll.saturating_sub(*w);
                                hit
                            })
                            .map_or("expired", |(r, _)| *r)
                            .to_owned()
                    });
                    batch.push(Entry {
                        id: Uuid::now_v7(),
                        gate_id: gate,
                        site_id: site,
                        recorded_at: at,
                        method: EntryMethod::Scan,
                        decision: if denied {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        },
                        reason,
                        rider: Some(riders[dice.below(riders.len())].clone()),
                        code_id: Some(format!("{:016x}", dice.next())),
                        trusted_at: Some(at),
                        manual: None,
                        overrides: None,
                    });
                }
            }
            for chunk in batch.chunks(xiaoge_pass::api::MAX_UPLOAD_ENTRIES) {
                total += self.ingest(&gate_row, chunk, now)?.results.len();
            }
        }
        Ok(total)
    }
}

fn demo_buildings(dice: &mut Dice, kind: SiteKind) -> Vec<Building> {
    let (count, unit) = match kind {
        SiteKind::Residential => (6 + dice.below(24), "幢"),
        SiteKind::Commercial => (2 + dice.below(4), "号楼"),
        SiteKind::Office => (1 + dice.below(3), "座"),
        SiteKind::Campus => (4 + dice.below(10), "号楼"),
    };
    let columns = (count as f64).sqrt().ceil() as usize;
    (0..count)
        .map(|i| Building {
            name: if kind == SiteKind::Office {
                format!("{}{unit}", ["A", "B", "C"][i % 3])
            } else {
                format!("{}{unit}", i + 1)
            },
            x: ((i % columns) as f64 * 40.0 - 60.0 + dice.below(10) as f64).round(),
            y: ((i / columns) as f64 * 35.0 + 30.0 + dice.below(10) as f64).round(),
        })
        .collect()
}

fn demo_parking(dice: &mut Dice) -> Vec<ParkingSpot> {
    (0..1 + dice.below(2))
        .map(|i| ParkingSpot {
            name: ["门口非机动车临停点", "地下车库入口临停区"][i].to_owned(),
            x: (-10.0 + 20.0 * i as f64).round(),
            y: (5.0 + dice.below(15) as f64).round(),
            capacity: 10 + dice.below(30) as u32,
        })
        .collect()
}
