//! `fidoctl mds update` and the trust around the MDS3 BLOB end to end: the
//! signer's CRLs fetched for the verified path and required, no rollback to
//! an older BLOB, the signer pinned by name. The BLOBs are tests/data/mds/*
//! (scripts/gen-test-pki), trusted through --mds-root; downloads come from a
//! server on 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use common::{SimKey, fidoctl, json_of, stderr};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mds");
/// The CRL distribution point gen-test-pki writes into blob-crl-dp.jwt's signer.
const CRL_PORT: u16 = 47318;
const CRL_PATH: &str = "/fidoctl-test-mds-root.crl";

fn data(file: &str) -> String {
    format!("{DATA}/{file}")
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(data(file)).unwrap()
}

/// Serves `crl` at CRL_PATH and `blob` anywhere else, on `listener`, until the
/// test process ends. Returns the BLOB's URL.
fn serve(listener: TcpListener, blob: Vec<u8>, crl: Option<Vec<u8>>) -> String {
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = match (&crl, request.contains(CRL_PATH)) {
                (Some(crl), true) => ("200 OK", crl.clone()),
                (None, true) => ("404 Not Found", Vec::new()),
                (_, false) => ("200 OK", blob.clone()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://{addr}/blob")
}

fn update(cache: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    fidoctl()
        .env("XDG_CACHE_HOME", cache)
        .args(["--mds-root", &data("test-mds-root.pem")])
        .args(extra)
        .args(["mds", "update", "--url", url])
        .output()
        .unwrap()
}

#[test]
fn update_fetches_the_signers_crl_caches_both_and_attest_uses_them() {
    let cache = tempfile::tempdir().unwrap();
    // One listener on the distribution point's port serves both the BLOB and its CRL.
    let listener = TcpListener::bind(("127.0.0.1", CRL_PORT))
        .unwrap_or_else(|e| panic!("port {CRL_PORT} (the test CRL's address) is taken: {e}"));
    let url = serve(
        listener,
        read("blob-crl-dp.jwt"),
        Some(read("crl-empty.crl")),
    );
    let out = update(cache.path(), &url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 fetched; all 1 certificate(s)"), "{text}");
    assert!(
        text.contains("any certificate under the --mds-root root"),
        "{text}"
    );
    let blob = cache.path().join("fidoctl/mds3-blob.jwt");
    assert_eq!(std::fs::read(&blob).unwrap(), read("blob-crl-dp.jwt"));
    let crls: Vec<_> = std::fs::read_dir(cache.path().join("fidoctl/crl"))
        .unwrap()
        .collect();
    assert_eq!(crls.len(), 1);

    // attest finds the BLOB and the CRL in the cache: genuine, revocation checked.
    let key = SimKey::new("biopass");
    let attest = key
        .cmd(&["--json", "--mds-root", &data("test-mds-root.pem"), "attest"])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    assert!(attest.status.success(), "{}", stderr(&attest));
    assert_eq!(json_of(&attest)["metadata_revocation_checked"], true);

    // The same BLOB again: nothing to do. An older one: refused, cache unchanged.
    let out = update(cache.path(), &url, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(number 9) is the latest"));
    // With --json, stdout is JSON either way: nothing new here; the whole update into another cache.
    let out = update(cache.path(), &url, &["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let same = json_of(&out);
    assert_eq!(
        (&same["updated"], &same["number"]),
        (&false.into(), &9.into())
    );
    let fresh = tempfile::tempdir().unwrap();
    let out = update(fresh.path(), &url, &["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let done = json_of(&out);
    assert_eq!(done["updated"], true, "{done}");
    assert_eq!(done["number"], 9, "{done}");
    assert_eq!(done["crls_fetched"], 1, "{done}");
    assert_eq!(done["revocation_checked"], true, "{done}");
    let older = TcpListener::bind("127.0.0.1:0").unwrap();
    let out = update(
        cache.path(),
        &serve(older, read("blob-newer.jwt"), None),
        &[],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("number 8, older than number 9"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&blob).unwrap(), read("blob-crl-dp.jwt"));
}

#[test]
fn without_a_crl_for_the_signer_the_update_is_refused_unless_waived_by_name() {
    let cache = tempfile::tempdir().unwrap();
    // blob.jwt's signer names no distribution point, and no CRL is cached.
    let url = serve(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        read("blob.jwt"),
        None,
    );
    let out = update(cache.path(), &url, &[]);
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("no current CRL shows"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--no-revocation-check"));
    assert!(!cache.path().join("fidoctl/mds3-blob.jwt").exists());

    let out = update(cache.path(), &url, &["--no-revocation-check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not checked (--no-revocation-check)"));
    // attest with that cache proves nothing until revocation is waived there too.
    let key = SimKey::new("biopass");
    let attest = |extra: &[&str]| {
        key.cmd(&["--json", "--mds-root", &data("test-mds-root.pem")])
            .args(extra)
            .arg("attest")
            .env("XDG_CACHE_HOME", cache.path())
            .output()
            .unwrap()
    };
    let out = attest(&[]);
    assert_eq!(
        json_of(&out)["reason"]["reason"],
        "metadata-revocation-unknown"
    );
    let out = attest(&["--no-revocation-check"]);
    assert_eq!(json_of(&out)["outcome"], "genuine");
    assert_eq!(json_of(&out)["metadata_revocation_checked"], false);
    let human = key
        .cmd(&[
            "--mds-root",
            &data("test-mds-root.pem"),
            "--no-revocation-check",
            "attest",
        ])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("not checked (--no-revocation-check)"));
}

#[test]
fn an_older_blob_given_with_mds_is_refused_once_a_newer_one_was_seen() {
    let cache = tempfile::tempdir().unwrap();
    let key = SimKey::new("biopass");
    let names = |blob: &str| {
        key.cmd(&[
            "--mds",
            &data(blob),
            "--mds-root",
            &data("test-mds-root.pem"),
            "aaguid",
        ])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap()
    };
    assert!(
        names("blob-older.jwt").status.success(),
        "number 6, the first seen"
    );
    assert!(names("blob.jwt").status.success(), "number 7 is newer");
    let out = names("blob-older.jwt");
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("number 6, older than number 7"),
        "{}",
        stderr(&out)
    );
    assert!(
        names("blob.jwt").status.success(),
        "the newest seen is still good"
    );
}

#[test]
fn a_named_signer_refuses_another_certificate_under_the_same_root() {
    let key = SimKey::new("biopass");
    let cache = tempfile::tempdir().unwrap();
    let run = |blob: &str| {
        key.cmd(&[
            "--mds",
            &data(blob),
            "--mds-root",
            &data("test-mds-root.pem"),
            "--mds-signer",
            "fidoctl TEST MDS BLOB signer",
            "aaguid",
        ])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap()
    };
    assert!(run("blob.jwt").status.success());
    let out = run("blob-other-leaf.jwt");
    assert_eq!(out.status.code(), Some(5));
    assert!(
        stderr(&out).contains("signed by") && stderr(&out).contains("some other service"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn mds_update_wants_https_except_from_this_machine() {
    let out = fidoctl()
        .args(["mds", "update", "--url", "http://example.invalid/blob"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
    // A prefix of "http://localhost:" whose host is elsewhere (userinfo "localhost:").
    let out = fidoctl()
        .args([
            "mds",
            "update",
            "--url",
            "http://localhost:@attacker.example/blob",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("user name or password"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
