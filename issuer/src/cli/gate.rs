//! Gates: `gate add|list|revoke|replace`.

use anyhow::Result;
use clap::Subcommand;
use xiaoge_issuer::model::Actor;
use xiaoge_issuer::paging;
use xiaoge_issuer::service::DEFAULT_TOKEN_DAYS;
use xiaoge_pass::text::Column;
use xiaoge_pass::{SiteId, UnixTime};

use crate::{DataDir, Json, format_time, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum GateCommand {
    /// Add a gate; prints its one-time enrollment token.
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The site id the gate guards.
        #[arg(long)]
        site: u64,
        /// The gate's name (such as 东门).
        #[arg(long)]
        name: String,
        /// Days the enrollment token works if unused.
        #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
        token_days: u32,
    },
    /// Cut a gate off (a stolen tablet): its signed requests are refused from now on and any
    /// unused enrollment token of it is dead.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The gate id.
        gate: u64,
    },
    /// Replace a gate's tablet: cuts off its current key now and prints a new one-time
    /// enrollment token for the same gate id.
    Replace {
        #[command(flatten)]
        data: DataDir,
        /// The gate id.
        gate: u64,
        /// Days the new enrollment token works if unused.
        #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
        token_days: u32,
    },
    /// List gates, of one site or all.
    List {
        #[command(flatten)]
        data: DataDir,
        /// Only this site's gates.
        #[arg(long)]
        site: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
}

pub(crate) fn gate(command: GateCommand, now: UnixTime) -> Result<()> {
    match command {
        GateCommand::Add {
            data,
            site,
            name,
            token_days,
        } => {
            let gate =
                open(&data)?.add_gate_by(Actor::Cli, SiteId(site), &name, token_days, now)?;
            eprintln!(
                "added gate {} {name:?} at site {site}; its enrollment token works once, until {}",
                gate.gate_id,
                gate.token_expires_at.map_or_else(String::new, format_time)
            );
            print_line(&gate.token)
        }
        GateCommand::Revoke { data, gate } => {
            open(&data)?.revoke_gate(Actor::Cli, gate, now)?;
            eprintln!(
                "gate {gate} revoked: its requests are refused from now on (gate_revoked); \
                 `gate replace {gate}` gives a new tablet a token for the same gate"
            );
            Ok(())
        }
        GateCommand::Replace {
            data,
            gate,
            token_days,
        } => {
            let replaced = open(&data)?.replace_gate(Actor::Cli, gate, token_days, now)?;
            eprintln!(
                "gate {gate}'s old key is refused from now on; enroll the new tablet with this \
                 token (works once, until {})",
                replaced
                    .token_expires_at
                    .map_or_else(String::new, format_time)
            );
            print_line(&replaced.token)
        }
        GateCommand::List { data, site, json } => {
            let issuer = open(&data)?;
            let gates = paging::every(|page| issuer.gates(site.map(SiteId), page))?;
            if json.json {
                return print_json(&gates);
            }
            for g in gates {
                print_line(&format!(
                    "{:>4}  site {:>4}  {:<8}  {:<20}  enrolled {}  last upload {}",
                    g.id,
                    g.site_id,
                    Column(&g.name),
                    g.state.as_str(),
                    g.enrolled_at.map_or_else(|| "no".to_owned(), format_time),
                    g.last_upload_at
                        .map_or_else(|| "never".to_owned(), format_time)
                ))?;
            }
            Ok(())
        }
    }
}
