//! Platforms: `platform add|list|rotate-key|revoke-key`.

use anyhow::Result;
use clap::Subcommand;
use xiaoge_issuer::model::Actor;
use xiaoge_issuer::paging;
use xiaoge_issuer::service::DEFAULT_OVERLAP_HOURS;
use xiaoge_pass::UnixTime;
use xiaoge_pass::text::Column;

use crate::{DataDir, Json, format_time, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum PlatformCommand {
    /// Add a platform; prints its API key (shown only once).
    Add {
        #[command(flatten)]
        data: DataDir,
        /// Display name, as codes show it (such as 美团).
        name: String,
    },
    /// List the platforms.
    List {
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        json: Json,
    },
    /// Make a new API key for a platform (printed, shown only once); its older keys keep
    /// working until the overlap ends, then are refused.
    RotateKey {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        /// Hours the older keys keep working (0 cuts them off now).
        #[arg(long, default_value_t = DEFAULT_OVERLAP_HOURS)]
        overlap_hours: u32,
    },
    /// Revoke every key of a platform at once (a leak), or only --key.
    RevokeKey {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        /// Only the key with this id (from `platform keys`).
        #[arg(long)]
        key: Option<u64>,
    },
    /// List a platform's keys (never the keys themselves).
    Keys {
        #[command(flatten)]
        data: DataDir,
        /// The platform's id or name.
        platform: String,
        #[command(flatten)]
        json: Json,
    },
}

pub(crate) fn platform(command: PlatformCommand, now: UnixTime) -> Result<()> {
    match command {
        PlatformCommand::Add { data, name } => {
            let (id, api_key) = open(&data)?.add_platform(&name, now)?;
            eprintln!("added platform {id} {name:?}; its API key is shown only now");
            print_line(&api_key)
        }
        PlatformCommand::List { data, json } => {
            let issuer = open(&data)?;
            let platforms = paging::every(|page| issuer.platforms(page))?;
            if json.json {
                return print_json(&platforms);
            }
            for p in platforms {
                print_line(&format!(
                    "{:>4}  {:<12}  {} riders",
                    p.id,
                    Column(&p.name),
                    p.riders
                ))?;
            }
            Ok(())
        }
        PlatformCommand::RotateKey {
            data,
            platform,
            overlap_hours,
        } => {
            let rotated =
                open(&data)?.rotate_platform_key(Actor::Cli, &platform, overlap_hours, now)?;
            eprintln!(
                "platform {} has new key {} (shown only now); its older keys work until {}",
                rotated.platform,
                rotated.key_id,
                format_time(rotated.old_keys_expire_at)
            );
            print_line(&rotated.api_key)
        }
        PlatformCommand::RevokeKey {
            data,
            platform,
            key,
        } => {
            let revoked = open(&data)?.revoke_platform_keys(Actor::Cli, &platform, key, now)?;
            eprintln!(
                "{revoked} key(s) of platform {platform:?} revoked: refused from now on; \
                 `platform rotate-key {platform} --overlap-hours 0` makes a new one"
            );
            Ok(())
        }
        PlatformCommand::Keys {
            data,
            platform,
            json,
        } => {
            let issuer = open(&data)?;
            let keys = paging::every(|page| issuer.platform_keys(&platform, page))?;
            if json.json {
                return print_json(&keys);
            }
            for k in keys {
                let state = match (k.revoked_at, k.expires_at) {
                    (Some(at), _) => format!("revoked {}", format_time(at)),
                    (None, Some(at)) if at <= now => format!("expired {}", format_time(at)),
                    (None, Some(at)) => format!("works until {}", format_time(at)),
                    (None, None) => "current".to_owned(),
                };
                print_line(&format!(
                    "{:>4}  created {}  {state}",
                    k.id,
                    format_time(k.created_at)
                ))?;
            }
            Ok(())
        }
    }
}
