//! `argos archive`: export a store to an archive, import it into another store, and get
//! the same messages and calls back; the pcap format opens in tshark.

mod util;

use std::path::Path;
use std::process::Command;
use util::*;

/// `argos search --json` lines with the store ids removed (ids differ between stores).
fn messages(data: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let d = data.to_str().expect("utf-8 path");
    let mut args = vec!["search", "--data", d, "--json", "--limit", "10000000"];
    args.extend_from_slice(extra);
    argos(&args)
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).expect("json line");
            if let Some(o) = v.as_object_mut() {
                o.remove("id");
            }
            v
        })
        .collect()
}

fn calls(data: &Path) -> Vec<serde_json::Value> {
    let d = data.to_str().expect("utf-8 path");
    argos(&["calls", "--data", d, "--json", "--limit", "10000000"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn lab_store() -> Option<tempfile::TempDir> {
    let pcap = testdata("lab/lab-calls.pcap")?;
    let a = tempfile::tempdir().expect("tmp");
    import(a.path(), &pcap);
    Some(a)
}

const FAR_FUTURE: &str = "4102444800"; // 2100-01-01

#[test]
fn archive_round_trip_restores_identical_messages_and_calls() {
    let Some(a) = lab_store() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("lab.argos");
    let out = argos(&[
        "archive",
        "export",
        "--data",
        a.path().to_str().expect("path"),
        "--since",
        "0",
        "--until",
        FAR_FUTURE,
        "-o",
        file.to_str().expect("path"),
        "-q",
    ]);
    assert!(out.contains("bytes/message"), "{out}");
    let before = messages(a.path(), &[]);
    assert!(!before.is_empty());

    let b = tempfile::tempdir().expect("tmp");
    let out = argos(&[
        "archive",
        "import",
        "--data",
        b.path().to_str().expect("path"),
        file.to_str().expect("path"),
        "-q",
    ]);
    assert!(out.contains(&format!("{} stored", before.len())), "{out}");
    let after = messages(b.path(), &[]);
    assert_eq!(before.len(), after.len());
    for (x, y) in before.iter().zip(&after) {
        assert_eq!(x, y);
    }
    let calls_a = calls(a.path());
    assert!(!calls_a.is_empty());
    assert_eq!(calls_a, calls(b.path()));

    // `argos import` recognises an archive by its magic.
    let c = tempfile::tempdir().expect("tmp");
    import(c.path(), &file);
    assert_eq!(messages(c.path(), &[]), before);

    // A truncated archive keeps what precedes the cut, names the offset, exits 0.
    let bytes = std::fs::read(&file).expect("read archive");
    let cut = tmp.path().join("cut.argos");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).expect("write");
    let d = tempfile::tempdir().expect("tmp");
    let o = Command::new(bin())
        .args(["archive", "import", "-q", "--data"])
        .arg(d.path())
        .arg(&cut)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("truncated at byte"), "{err}");
    let kept = messages(d.path(), &[]);
    assert!(!kept.is_empty() && before.starts_with(&kept), "{err}");

    // Nothing importable: non-zero exit with the reason.
    let junk = tmp.path().join("junk.argos");
    std::fs::write(&junk, &bytes[..30]).expect("write");
    let o = Command::new(bin())
        .args(["archive", "import", "-q", "--data"])
        .arg(d.path())
        .arg(&junk)
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("truncated at byte 30"));
}

#[test]
fn archive_export_of_one_day() {
    let Some(a) = lab_store() else { return };
    let all = messages(a.path(), &[]);
    let first = all[0]["ts_us"].as_i64().expect("ts_us");
    let day_start = first - first.rem_euclid(86_400_000_000);
    let day_end = day_start + 86_400_000_000;
    let secs = |us: i64| (us / 1_000_000).to_string();
    let in_day: Vec<_> = all
        .iter()
        .filter(|m| m["ts_us"].as_i64().is_some_and(|t| t < day_end))
        .cloned()
        .collect();
    let day = civil(day_start);
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("day.argos");
    argos(&[
        "archive",
        "export",
        "--data",
        a.path().to_str().expect("path"),
        "--day",
        &day,
        "-o",
        file.to_str().expect("path"),
        "-q",
    ]);
    let b = tempfile::tempdir().expect("tmp");
    argos(&[
        "archive",
        "import",
        "--data",
        b.path().to_str().expect("path"),
        "-q",
        file.to_str().expect("path"),
    ]);
    assert_eq!(messages(b.path(), &[]), in_day);
    assert_eq!(
        messages(
            a.path(),
            &["--since", &secs(day_start), "--until", &secs(day_end)]
        ),
        in_day
    );
    // The day before is empty.
    let empty = tmp.path().join("empty.argos");
    let out = argos(&[
        "archive",
        "export",
        "--data",
        a.path().to_str().expect("path"),
        "--day",
        &civil(day_start - 86_400_000_000),
        "-o",
        empty.to_str().expect("path"),
        "-q",
    ]);
    assert!(out.contains("exported 0 messages"), "{out}");
}

/// `YYYY-MM-DD` of a UTC day start (civil from days, Howard Hinnant's algorithm).
fn civil(us: i64) -> String {
    let z = us.div_euclid(86_400_000_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn pcap_export_opens_in_tshark() {
    let Some(a) = lab_store() else { return };
    if !have("tshark") {
        return;
    }
    let n = messages(a.path(), &[]).len();
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("lab.pcap");
    let out = argos(&[
        "archive",
        "export",
        "--data",
        a.path().to_str().expect("path"),
        "--since",
        "0",
        "--until",
        FAR_FUTURE,
        "--format",
        "pcap",
        "-o",
        file.to_str().expect("path"),
        "-q",
    ]);
    assert!(out.contains("HEP metadata not kept"), "{out}");
    let per_call = tshark_sip_per_call(&file);
    assert_eq!(per_call.values().sum::<usize>(), n);
}
