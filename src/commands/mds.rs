//! `fidoctl mds update`: the FIDO Metadata Service BLOB into the user's
//! cache, with the CRLs its signer chain points to. The download is verified
//! before it replaces the cached copy; a refused one leaves the cache alone.

use std::time::{Duration, SystemTime};

use anyhow::Result;

use super::Context;
use crate::cli::MdsCommand;
use crate::http;
use crate::mds::{self, cache};
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
    let now = SystemTime::now();
    let refused = |e: &mds::MdsError| mds_view::downloaded_blob_refused(url, e);

    // The signer's path first: CRLs are fetched only for a path that verified.
    let mut crls = cache::crls();
    let first = settings
        .verify(&text, &crls, now)
        .map_err(|e| refused(&e))?;
    let held = cache::highest_seen(&first.root_fingerprint);
    if let Some(highest) = held.filter(|&h| first.no <= h) {
        if first.no == highest {
            if ctx.json {
                return output::print_json(&json!({
                    "updated": false,
                    "file": blob_path,
                    "number": first.no,
                }));
            }
            print!("{}", mds_view::already_current(first.no, &blob_path));
            return Ok(());
        }
        return Err(refused(&mds::MdsError::Rollback {
            no: first.no,
            highest,
        }));
    }
    let mut fetched = Vec::new();
    let mut failures = Vec::new();
    for (cert, issuer) in first.path.iter().zip(first.issuers()) {
        for crl_url in cert.crl_urls() {
            match get(&agent, &crl_url, CRL_LIMIT)
                .map(|der| (crate::pki::x509::Crl::from_der(&der), der))
            {
                Ok((Ok(crl), der)) if crl.issued_by(issuer) => {
                    fetched.push((crl_url, der));
                    crls.push(crl);
                }
                Ok((Ok(_), _)) => failures.push(mds_view::crl_not_signed_by(&crl_url, issuer)),
                Ok((Err(_), _)) => failures.push(mds_view::crl_unreadable(&crl_url)),
                Err(e) => failures.push(mds_view::crl_not_fetched(&crl_url, &e)),
            }
        }
    }
    // Again with the fresh CRLs: a revoked signer is refused here.
    let blob = settings
        .verify(&text, &crls, now)
        .map_err(|e| refused(&e))?;
    if !blob.revocation_settled() {
        return Err(mds_view::revocation_unproven(url, &blob, &failures));
    }
    for (crl_url, der) in &fetched {
        crate::paths::write_atomic(&crl_dir.join(cache::crl_file_name(crl_url)), der)?;
    }
    crate::paths::write_atomic(&blob_path, text.as_bytes())?;
    cache::record_seen(&blob.root_fingerprint, blob.no);
    if ctx.json {
        return output::print_json(&json!({
            "updated": true,
            "file": blob_path,
            "number": blob.no,
            "next_update": blob.next_update,
            "entries": blob.entries.len(),
            "signed_by": blob.signer,
            "root": blob.root,
            "crls_fetched": fetched.len(),
            "revocation_checked": !blob.revocation_skipped,
            "crls_not_fetched": failures,
        }));
    }
    print!(
        "{}",
        mds_view::updated(&blob, &blob_path, fetched.len(), &failures)
    );
    Ok(())
}
