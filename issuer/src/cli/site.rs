//! Sites and their buildings, parking, bans and posters: `site …`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use xiaoge_issuer::model::{Building, ParkingSpot, RiderComplaint, SiteInput, SiteKind};
use xiaoge_issuer::{Issuer, paging};
use xiaoge_pass::text::Column;
use xiaoge_pass::{RiderId, SiteId, UnixTime};

use crate::{DataDir, Json, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum SiteCommand {
    /// Add a site; prints its id.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The site's name.
        #[arg(long)]
        name: String,
        /// Kind: residential (小区), commercial (商圈), office (楼宇) or campus (园区).
        #[arg(long, default_value = "residential", value_parser = parse_kind)]
        kind: SiteKind,
        /// Street address.
        #[arg(long, default_value = "")]
        address: String,
        /// District, such as 西湖区.
        #[arg(long, default_value = "")]
        district: String,
    },
    /// List the sites.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Show one site with its guide and parking.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        #[command(flatten)]
        json: Json,
    },
    /// Add a building to a site's guide (metres east and north of the main gate).
    Building {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The building's name, such as 3幢.
        #[arg(long)]
        name: String,
        /// Metres east of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        x: f64,
        /// Metres north of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        y: f64,
    },
    /// Add a temporary parking spot to a site.
    Parking {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The spot's name.
        #[arg(long)]
        name: String,
        /// Metres east of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        x: f64,
        /// Metres north of the main gate.
        #[arg(long, allow_hyphen_values = true)]
        y: f64,
        /// Bikes it holds.
        #[arg(long)]
        capacity: u32,
    },
    /// Ban a rider from a site; its gates deny the rider after their next sync.
    Ban {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
        /// Why, in the property's words.
        #[arg(long)]
        reason: String,
    },
    /// Lift a ban.
    Unban {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Record a complaint about a rider's conduct at a site (their platform sees it).
    Complain {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The rider's pseudonym.
        rider: RiderId,
        /// A short category, such as speeding.
        #[arg(long)]
        category: String,
        /// What happened.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Print a site's place URL (场所码), or with --ndef the NDEF message (hex) that an NFC
    /// tag writer puts on a tag for 碰一碰.
    Url {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// Print the NDEF message for an NFC tag instead, in hex.
        #[arg(long)]
        ndef: bool,
    },
    /// Make a site's printable A4 poster: the QR of its place URL and what riders do with it.
    Poster {
        #[command(flatten)]
        data: DataDir,
        /// The site id.
        site: u64,
        /// The file to write: .png (150 dpi) or .pdf.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub(crate) fn parse_kind(text: &str) -> Result<SiteKind, String> {
    SiteKind::parse(text).ok_or_else(|| {
        format!("{text:?} is not a site kind: residential (小区), commercial (商圈), office (楼宇) or campus (园区)")
    })
}

pub(crate) fn site(command: SiteCommand, now: UnixTime) -> Result<()> {
    match command {
        SiteCommand::Add {
            data,
            name,
            kind,
            address,
            district,
        } => {
            let input = SiteInput {
                name: name.clone(),
                kind,
                address,
                district,
                buildings: Vec::new(),
                parking: Vec::new(),
            };
            let id = open(&data)?.add_site(&input, now)?;
            eprintln!("added site {id} {name:?} ({})", kind.zh());
            print_line(&id.to_string())
        }
        SiteCommand::List { data, json } => {
            let issuer = open(&data)?;
            let sites = paging::every(|page| issuer.sites(page))?;
            if json.json {
                return print_json(&sites);
            }
            for s in sites {
                print_line(&format!(
                    "{:>4}  {:<10}  {}  {:<6}  {} buildings, {} parking spots",
                    s.id.0,
                    Column(&s.name),
                    s.kind.zh(),
                    Column(&s.district),
                    s.buildings.len(),
                    s.parking.len()
                ))?;
            }
            Ok(())
        }
        SiteCommand::Show { data, site, json } => {
            let s = open(&data)?.site(SiteId(site))?;
            if json.json {
                return print_json(&s);
            }
            print_line(&format!(
                "{} {} ({}) {} {}",
                s.id.0,
                s.name,
                s.kind.zh(),
                s.district,
                s.address
            ))?;
            for b in &s.buildings {
                print_line(&format!(
                    "  building {:<8} at ({}, {}) m",
                    Column(&b.name),
                    b.x,
                    b.y
                ))?;
            }
            for p in &s.parking {
                print_line(&format!(
                    "  parking  {:<8} at ({}, {}) m, {} bikes",
                    Column(&p.name),
                    p.x,
                    p.y,
                    p.capacity
                ))?;
            }
            Ok(())
        }
        SiteCommand::Building {
            data,
            site,
            name,
            x,
            y,
        } => {
            let issuer = open(&data)?;
            let mut input = site_input(&issuer, SiteId(site))?;
            input.buildings.push(Building { name, x, y });
            issuer.update_site(SiteId(site), &input)?;
            eprintln!(
                "site {site} now has {} buildings in its guide",
                input.buildings.len()
            );
            Ok(())
        }
        SiteCommand::Parking {
            data,
            site,
            name,
            x,
            y,
            capacity,
        } => {
            let issuer = open(&data)?;
            let mut input = site_input(&issuer, SiteId(site))?;
            input.parking.push(ParkingSpot {
                name,
                x,
                y,
                capacity,
            });
            issuer.update_site(SiteId(site), &input)?;
            eprintln!("site {site} now has {} parking spots", input.parking.len());
            Ok(())
        }
        SiteCommand::Ban {
            data,
            site,
            rider,
            reason,
        } => {
            open(&data)?.ban(SiteId(site), &rider, &reason, now)?;
            eprintln!(
                "banned {rider} from site {site}; its gates deny the rider after their next sync"
            );
            Ok(())
        }
        SiteCommand::Unban { data, site, rider } => {
            open(&data)?.unban(SiteId(site), &rider)?;
            eprintln!("lifted the ban on {rider} at site {site}");
            Ok(())
        }
        SiteCommand::Complain {
            data,
            site,
            rider,
            category,
            note,
        } => {
            let complaint = RiderComplaint {
                rider,
                category,
                note,
            };
            let id = open(&data)?.complain(SiteId(site), &complaint, now)?;
            eprintln!("complaint {id} recorded");
            Ok(())
        }
        SiteCommand::Url { data, site, ndef } => {
            let url = open(&data)?.place_url(SiteId(site))?;
            if ndef {
                print_line(&hex::encode(xiaoge_issuer::poster::ndef_uri(&url)))
            } else {
                print_line(&url)
            }
        }
        SiteCommand::Poster { data, site, out } => {
            let issuer = open(&data)?;
            let id = SiteId(site);
            let url = issuer.place_url(id)?;
            let name = issuer.site(id)?.name;
            let poster = xiaoge_issuer::poster::Poster {
                site: &name,
                url: &url,
            };
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("png") => xiaoge_issuer::poster::png(&poster)?,
                Some(e) if e.eq_ignore_ascii_case("pdf") => xiaoge_issuer::poster::pdf(&poster)?,
                _ => anyhow::bail!(
                    "{}: the poster file must end in .png or .pdf",
                    out.display()
                ),
            };
            std::fs::write(&out, bytes).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("poster for {name} ({url}) written to {}", out.display());
            Ok(())
        }
    }
}

pub(crate) fn site_input(issuer: &Issuer, id: SiteId) -> Result<SiteInput> {
    let s = issuer.site(id)?;
    Ok(SiteInput {
        name: s.name,
        kind: s.kind,
        address: s.address,
        district: s.district,
        buildings: s.buildings,
        parking: s.parking,
    })
}
