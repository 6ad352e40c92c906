//! Riders' help requests: `help-request list|close`.

use anyhow::Result;
use clap::Subcommand;
use xiaoge_issuer::model::Admin;
use xiaoge_issuer::paging;
use xiaoge_pass::{SiteId, UnixTime};

use crate::{DataDir, Json, format_time, open, print_json, print_line};

#[derive(Subcommand)]
pub(crate) enum HelpCommand {
    /// List riders' requests for help (open ones unless --all).
    List {
        #[command(flatten)]
        data: DataDir,
        /// Closed ones too.
        #[arg(long)]
        all: bool,
        /// Only those about this site id.
        #[arg(long)]
        site: Option<u64>,
        #[command(flatten)]
        json: Json,
    },
    /// Close a request for help with what was done about it.
    Close {
        #[command(flatten)]
        data: DataDir,
        /// The request's number.
        id: u64,
        /// What was done.
        #[arg(long)]
        resolution: String,
    },
}

pub(crate) fn help(command: HelpCommand, now: UnixTime) -> Result<()> {
    match command {
        HelpCommand::List {
            data,
            all,
            site,
            json,
        } => {
            let issuer = open(&data)?;
            let requests =
                paging::every(|page| issuer.help_requests(!all, site.map(SiteId), page))?;
            if json.json {
                return print_json(&requests);
            }
            for r in requests {
                let state = r
                    .resolution
                    .as_deref()
                    .map_or_else(|| "open".to_owned(), |res| format!("closed: {res}"));
                print_line(&format!(
                    "#{} {} {} · {} ({}) {} {:?} [{state}]",
                    r.id,
                    format_time(r.created_at),
                    r.rider_name,
                    r.platform,
                    r.site_name,
                    r.category.as_str(),
                    r.note,
                ))?;
            }
            Ok(())
        }
        HelpCommand::Close {
            data,
            id,
            resolution,
        } => {
            // The operator at the console acts for the regulator.
            let operator = Admin {
                name: "xiaoge-issuer".to_owned(),
                site: None,
            };
            open(&data)?.close_help_request(id, &resolution, &operator, now)?;
            eprintln!("help request {id} closed");
            Ok(())
        }
    }
}
