//! `fidoctl mds update`: the FIDO Metadata Service BLOB into the user's
//! cache, with the CRLs its signer chain points to. The download is verified
//! before it replaces the cached copy; a refused one leaves the cache alone.

use std::time::{Duration, SystemTime};

use anyhow::Result;

use super::Context;
use crate::cli::MdsCommand;
use crate::http;
use crate::mds::cache;
use crate::mds::update::{self, UpdateError, Updated};
use crate::ui::{mds_view, output};
use serde_json::json;

/// The BLOB is a few megabytes today; allow for growth, not for a runaway server.
const BLOB_LIMIT: u64 = 64 * 1024 * 1024;
const CRL_LIMIT: u64 = 16 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn run(ctx: &Context, cmd: MdsCommand) -> Result<()> {
    match cmd {
        MdsCommand::Update { url } => update(ctx, &url),
    }
}

fn get(agent: &ureq::Agent, url: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| e.to_string())
}

fn update(ctx: &Context, url: &str) -> Result<()> {
    http::check_url(url).map_err(|why| mds_view::url_refused(url, why))?;
    let blob_path = cache::blob_path().ok_or_else(mds_view::no_cache_dir)?;
    let crl_dir = cache::crl_dir().expect("a cache dir gives a CRL dir");
    let settings = ctx.mds_settings()?;
    let agent = http::agent(TIMEOUT, true);
    let bytes = get(&agent, url, BLOB_LIMIT).map_err(|e| mds_view::download_failed(url, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| mds_view::download_failed(url, "the answer is not text"))?;
    let mut fetch_crl = |crl_url: &str| get(&agent, crl_url, CRL_LIMIT);
    let to = update::CachePaths {
        blob: &blob_path,
        crls: &crl_dir,
    };
    match update::update(&settings, &text, SystemTime::now(), to, &mut fetch_crl) {
        Ok(Updated::AlreadyCurrent { no }) => {
            if ctx.json {
                return output::print_json(&json!({
                    "updated": false,
                    "file": blob_path,
                    "number": no,
                }));
            }
            print!("{}", mds_view::already_current(no, &blob_path));
            Ok(())
        }
        Ok(Updated::Saved {
            blob,
            crls_fetched,
            crl_problems,
        }) => {
            if ctx.json {
                return output::print_json(&json!({
                    "updated": true,
                    "file": blob_path,
                    "number": blob.no,
                    "next_update": blob.next_update,
                    "entries": blob.entries.len(),
                    "signed_by": blob.signer,
                    "root": blob.root,
                    "crls_fetched": crls_fetched,
                    "revocation_checked": !blob.revocation_skipped,
                    "crls_not_fetched": crl_problems.iter().map(mds_view::crl_problem).collect::<Vec<_>>(),
                }));
            }
            print!(
                "{}",
                mds_view::updated(&blob, &blob_path, crls_fetched, &crl_problems)
            );
            Ok(())
        }
        Err(UpdateError::Refused(e)) => Err(mds_view::downloaded_blob_refused(url, &e)),
        Err(UpdateError::RevocationUnproven { blob, crl_problems }) => {
            Err(mds_view::revocation_unproven(url, &blob, &crl_problems))
        }
        Err(UpdateError::Write(e)) => Err(mds_view::cache_not_written(&blob_path, &e)),
    }
}
