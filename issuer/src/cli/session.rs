//! Riders' sessions: `session list|end`.

use anyhow::Result;
use clap::Subcommand;
use xiaoge_issuer::model::Actor;
use xiaoge_issuer::paging;
use xiaoge_pass::text::Column;
use xiaoge_pass::{RiderId, UnixTime};

use crate::{DataDir, Json, format_time, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum SessionCommand {
    /// List the live sessions, of one rider or one admin token, or all.
    List {
        #[command(flatten)]
        data: DataDir,
        /// Only this rider's sessions.
        #[arg(long)]
        rider: Option<RiderId>,
        /// Only the dashboard sessions opened with this admin token id.
        #[arg(long)]
        admin_token: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
    /// End one session by its id (from `session list`), or every session of --rider.
    End {
        #[command(flatten)]
        data: DataDir,
        /// The session id.
        #[arg(required_unless_present = "rider", conflicts_with = "rider")]
        id: Option<String>,
        /// End every session of this rider instead.
        #[arg(long)]
        rider: Option<RiderId>,
    },
}

pub(crate) fn session(command: SessionCommand, now: UnixTime) -> Result<()> {
    match command {
        SessionCommand::List {
            data,
            rider,
            admin_token,
            json,
        } => {
            let issuer = open(&data)?;
            let sessions =
                paging::every(|page| issuer.live_sessions(rider.as_ref(), admin_token, now, page))?;
            if json.json {
                return print_json(&sessions);
            }
            for s in sessions {
                let who = match (&s.rider, s.admin_token) {
                    (Some(rider), _) => format!("rider {rider}"),
                    (None, Some(token)) => format!("admin token {token}"),
                    (None, None) => "admin (before tokens had ids)".to_owned(),
                };
                print_line(&format!(
                    "{}  {:<22}  {:<12}  opened {}  ends {}",
                    s.id,
                    who,
                    Column(&s.holder),
                    format_time(s.created_at),
                    format_time(s.expires_at)
                ))?;
            }
            Ok(())
        }
        SessionCommand::End { data, id, rider } => {
            let issuer = open(&data)?;
            match (id, rider) {
                (_, Some(rider)) => {
                    let ended = issuer.end_rider_sessions(Actor::Cli, &rider, now)?;
                    eprintln!("{ended} session(s) of rider {rider} ended");
                }
                (Some(id), None) => {
                    issuer.end_session_by_id(Actor::Cli, &id, now)?;
                    eprintln!("session {id} ended");
                }
                (None, None) => anyhow::bail!("give a session id or --rider RIDER"),
            }
            Ok(())
        }
    }
}
