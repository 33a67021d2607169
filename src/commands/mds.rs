//! `fidoctl mds update`: the FIDO Metadata Service BLOB into the user's
//! cache, with the CRLs its signer chain points to. The download is verified
//! before it replaces the cached copy; a refused one leaves the cache alone.

use std::time::{Duration, SystemTime};

use anyhow::Result;

use super::Context;
use crate::cli::MdsCommand;
use crate::mds::{self, cache};
use crate::ui::mds_view;

/// The BLOB is a few megabytes today; allow for growth, not for a runaway server.
const BLOB_LIMIT: u64 = 64 * 1024 * 1024;
const CRL_LIMIT: u64 = 16 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(60);

pub fn run(ctx: &Context, cmd: MdsCommand) -> Result<()> {
    match cmd {
        MdsCommand::Update { url } => update(ctx, &url),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .user_agent(concat!("fidoctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
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
    mds::check_source_url(url).map_err(|why| mds_view::url_refused(url, why))?;
    let blob_path = cache::blob_path().ok_or_else(mds_view::no_cache_dir)?;
    let crl_dir = cache::crl_dir().expect("a cache dir gives a CRL dir");
    let roots = mds::trusted_roots(ctx.mds_root.as_deref())
        .map_err(|e| mds_view::bad_root(ctx.mds_root.as_deref().unwrap_or(&blob_path), &e))?;
    let agent = agent();
    let bytes = get(&agent, url, BLOB_LIMIT).map_err(|e| mds_view::download_failed(url, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| mds_view::download_failed(url, "the answer is not text"))?;

    // The CRLs the signer chain names, fetched before verifying so they count.
    let mut crl_failures = Vec::new();
    let mut crls_saved = 0;
    if let Ok(chain) = mds::signer_chain(&text) {
        let mut urls: Vec<String> = chain.iter().flat_map(|c| c.crl_urls()).collect();
        urls.dedup();
        for crl_url in urls {
            match get(&agent, &crl_url, CRL_LIMIT) {
                Ok(der) if crate::pki::x509::Crl::from_der(&der).is_ok() => {
                    crate::paths::write_atomic(
                        &crl_dir.join(cache::crl_file_name(&crl_url)),
                        &der,
                    )?;
                    crls_saved += 1;
                }
                Ok(_) => crl_failures.push(format!("{crl_url}: not a DER CRL")),
                Err(e) => crl_failures.push(format!("{crl_url}: {e}")),
            }
        }
    }
    let blob = mds::verify(
        &text,
        &mds::Trust {
            roots: &roots,
            crls: &cache::crls(),
            now: SystemTime::now(),
        },
    )
    .map_err(|e| mds_view::downloaded_blob_refused(url, &e))?;
    crate::paths::write_atomic(&blob_path, text.as_bytes())?;
    print!(
        "{}",
        mds_view::updated(&blob, &blob_path, crls_saved, &crl_failures)
    );
    Ok(())
}
