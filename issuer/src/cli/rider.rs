//! Riders: `rider …` (the regulator's standing, login links, codes).

use anyhow::Result;
use clap::Subcommand;
use xiaoge_pass::{RiderId, RiderStatus, UnixTime};

use crate::{DataDir, Json, format_time, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum RiderCommand {
    /// Register a rider; prints the rider's pseudonymous id. Refused once the status list
    /// has no index left (it holds 16,777,216).
    Add {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        #[arg(long)]
        platform: String,
        /// The rider's id on the platform (never leaves the issuer).
        #[arg(long)]
        platform_rider_id: String,
        /// Display name; always masked to its first character and **.
        #[arg(long)]
        name: String,
    },
    /// Revoke a rider as the regulator: the next status list denies all their codes. The
    /// platform's roster cannot lift it; only `rider reinstate` does.
    Revoke {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Suspend a rider as the regulator until `rider reinstate`; the platform's roster
    /// cannot lift it.
    Suspend {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Lift the regulator's suspension or revocation of a rider. A suspension or revocation
    /// the platform set stays until the platform lifts it.
    Reinstate {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
    /// Show a rider: their standing, and the platform's and the regulator's it comes from.
    Show {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
        #[command(flatten)]
        json: Json,
    },
    /// Make a one-time login link for a rider's phone; prints the URL.
    LoginLink {
        #[command(flatten)]
        data: DataDir,
        /// The rider's pseudonym.
        rider: RiderId,
    },
}

pub(crate) fn rider(command: RiderCommand, now: UnixTime) -> Result<()> {
    let set = |data: DataDir, rider: RiderId, status: RiderStatus, what: &str| -> Result<()> {
        let row = open(&data)?.set_regulator_status(&rider, status, now)?;
        let info = row.info();
        eprintln!(
            "{what} rider {rider} as the regulator; the platform's standing is {}, so the \
             rider is {}; gates apply it after their next sync",
            info.platform_status.as_str(),
            info.status.as_str()
        );
        Ok(())
    };
    match command {
        RiderCommand::Add {
            data,
            platform,
            platform_rider_id,
            name,
        } => {
            let issuer = open(&data)?;
            let rider = issuer.add_rider(&platform, &platform_rider_id, &name, now)?;
            let usage = issuer.status_list_usage()?;
            eprintln!(
                "added rider {} {} of {} (status index {}; {} of {} indexes left)",
                rider.id,
                rider.name,
                rider.platform,
                rider.status_index,
                usage.left(),
                usage.capacity
            );
            if usage.nearly_full() {
                eprintln!(
                    "warning: the status list is more than 90% used; new riders are refused \
                     once no index is left"
                );
            }
            print_line(rider.id.as_str())
        }
        RiderCommand::Revoke { data, rider } => set(data, rider, RiderStatus::Revoked, "revoked"),
        RiderCommand::Suspend { data, rider } => {
            set(data, rider, RiderStatus::Suspended, "suspended")
        }
        RiderCommand::Reinstate { data, rider } => {
            set(data, rider, RiderStatus::Valid, "reinstated")
        }
        RiderCommand::Show { data, rider, json } => {
            let info = open(&data)?.rider(&rider)?.info();
            if json.json {
                return print_json(&info);
            }
            print_line(&format!(
                "{}  {}  {}  {} (platform: {}, regulator: {})  (platform id {})",
                info.rider_id,
                info.name,
                info.platform,
                info.status.as_str(),
                info.platform_status.as_str(),
                info.regulator_status.as_str(),
                info.platform_rider_id
            ))
        }
        RiderCommand::LoginLink { data, rider } => {
            let link = open(&data)?.login_link_for(&rider, now)?;
            eprintln!("works once, until {}", format_time(link.expires_at));
            print_line(&link.url)
        }
    }
}
