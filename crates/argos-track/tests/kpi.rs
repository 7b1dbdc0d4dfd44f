//! KPIs from grouped call records, against hand-computed values.

use argos_model::{CallAggRow, CallStatus};
use argos_track::kpi::{compute, network_effective, KpiPoint};

const B0: i64 = 1_764_000_000_000_000;
const B1: i64 = B0 + 300_000_000;

fn row(bucket: i64, key: &str, status: CallStatus, code: u16, calls: u64) -> CallAggRow {
    CallAggRow {
        bucket_us: bucket,
        key: key.to_owned(),
        status,
        final_code: code,
        calls,
        ..CallAggRow::default()
    }
}

/// 10 finished calls: 6 answered (talk 10+20+30+40+50+60 s = 210 s, PDD 1 s each,
/// setup 3 s each), 1 busy, 1 cancelled, 1 × 404, 1 × 503; plus 2 ringing, 1 in call.
fn ten_calls(bucket: i64, key: &str) -> Vec<CallAggRow> {
    vec![
        CallAggRow {
            duration_ms_sum: 210_000,
            duration_n: 6,
            pdd_ms_sum: 6_000,
            pdd_n: 6,
            setup_ms_sum: 18_000,
            setup_n: 6,
            ..row(bucket, key, CallStatus::Answered, 200, 6)
        },
        CallAggRow {
            pdd_ms_sum: 500,
            pdd_n: 1,
            ..row(bucket, key, CallStatus::Busy, 486, 1)
        },
        CallAggRow {
            pdd_ms_sum: 1_500,
            pdd_n: 1,
            ..row(bucket, key, CallStatus::Cancelled, 487, 1)
        },
        row(bucket, key, CallStatus::Failed, 404, 1),
        row(bucket, key, CallStatus::Failed, 503, 1),
        CallAggRow {
            pdd_ms_sum: 2_000,
            pdd_n: 2,
            ..row(bucket, key, CallStatus::Ringing, 0, 2)
        },
        CallAggRow {
            setup_ms_sum: 3_000,
            setup_n: 1,
            pdd_ms_sum: 1_000,
            pdd_n: 1,
            ..row(bucket, key, CallStatus::InCall, 200, 1)
        },
    ]
}

#[test]
fn ten_calls_six_answered() {
    let s = compute(&ten_calls(B0, ""));
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].key, "");
    assert_eq!(s[0].points.len(), 1);
    let p = &s[0].points[0];
    assert_eq!(
        *p,
        KpiPoint {
            ts_us: B0,
            attempts: 10,
            answered: 6,
            busy: 1,
            cancelled: 1,
            no_answer: 0,
            rejected: 0,
            failed: 2,
            timeout: 0,
            live: 3,
            asr: Some(60.0),
            // answered 6 + busy 1 + cancelled 1 = 8 of 10
            ner: Some(80.0),
            ser: Some(60.0),
            acd_s: Some(35.0),
            // (6000 + 500 + 1500 + 2000 + 1000) / 11
            pdd_ms: Some(1000.0),
            // (18000 + 3000) / 7
            setup_ms: Some(3000.0),
        }
    );
    assert_eq!(s[0].total, *p);
}

#[test]
fn redirects_rejections_and_unavailability() {
    let rows = vec![
        row(B0, "", CallStatus::Answered, 200, 3),
        // 3xx that ended the call: an attempt, not in SER's denominator.
        row(B0, "", CallStatus::Failed, 302, 2),
        // 603 Decline: the user refused (effective); 403: the network refused.
        row(B0, "", CallStatus::Rejected, 603, 1),
        row(B0, "", CallStatus::Rejected, 403, 1),
        // 480 without ringing: user unavailable (effective); 404: number failure.
        row(B0, "", CallStatus::Failed, 480, 1),
        row(B0, "", CallStatus::Failed, 404, 1),
        row(B0, "", CallStatus::NoAnswer, 480, 1),
        row(B0, "", CallStatus::Timeout, 0, 2),
    ];
    let p = &compute(&rows)[0].total;
    assert_eq!(p.attempts, 12);
    assert_eq!(
        (p.answered, p.rejected, p.failed, p.no_answer, p.timeout),
        (3, 2, 4, 1, 2)
    );
    assert_eq!(p.asr, Some(25.0));
    // effective: 3 answered + 603 + 480 + no answer = 6 of 12
    assert_eq!(p.ner, Some(50.0));
    // 3 / (12 - 2)
    assert_eq!(p.ser, Some(30.0));
    assert_eq!(p.acd_s, None);
    assert_eq!(p.pdd_ms, None);
    assert_eq!(p.live, 0);
}

#[test]
fn ratios_are_rounded_and_undefined_without_attempts() {
    let rows = vec![
        row(B0, "", CallStatus::Answered, 200, 1),
        row(B0, "", CallStatus::Failed, 503, 2),
        row(B1, "", CallStatus::Ringing, 0, 4),
    ];
    let s = &compute(&rows)[0];
    assert_eq!(s.points[0].asr, Some(33.33));
    assert_eq!(s.points[0].ner, Some(33.33));
    let live_only = &s.points[1];
    assert_eq!(
        (live_only.ts_us, live_only.attempts, live_only.live),
        (B1, 0, 4)
    );
    assert_eq!(
        (live_only.asr, live_only.ner, live_only.ser),
        (None, None, None)
    );
}

#[test]
fn series_per_key_sorted_by_attempts_with_points_in_time_order_and_a_total() {
    let mut rows = ten_calls(B1, "10.0.0.1");
    rows.extend(ten_calls(B0, "10.0.0.1"));
    rows.push(row(B0, "10.0.0.2", CallStatus::Answered, 200, 4));
    rows.push(row(B1, "10.0.0.3", CallStatus::Busy, 486, 4));
    let s = compute(&rows);
    let keys: Vec<&str> = s.iter().map(|x| x.key.as_str()).collect();
    // 20 attempts, then 4 and 4 in key order.
    assert_eq!(keys, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    let a = &s[0];
    assert_eq!(
        a.points.iter().map(|p| p.ts_us).collect::<Vec<_>>(),
        [B0, B1]
    );
    assert_eq!(a.total.ts_us, B0);
    assert_eq!(
        (a.total.attempts, a.total.answered, a.total.live),
        (20, 12, 6)
    );
    assert_eq!(
        (a.total.asr, a.total.ner, a.total.acd_s),
        (Some(60.0), Some(80.0), Some(35.0))
    );
    assert_eq!(s[2].total.ner, Some(100.0));
    assert_eq!(s[2].total.asr, Some(0.0));
    assert!(compute(&[]).is_empty());
}

#[test]
fn network_effectiveness_per_outcome() {
    use CallStatus::*;
    for (status, code, effective) in [
        (Answered, 200, true),
        (Busy, 486, true),
        (Busy, 600, true),
        (NoAnswer, 408, true),
        (NoAnswer, 487, true),
        (Cancelled, 487, true),
        (Rejected, 603, true),
        (Rejected, 403, false),
        (Rejected, 407, false),
        (Rejected, 604, false),
        (Rejected, 606, false),
        (Failed, 480, true),
        (Failed, 404, false),
        (Failed, 484, false),
        (Failed, 488, false),
        (Failed, 503, false),
        (Failed, 302, false),
        (Timeout, 0, false),
        (Ringing, 0, false),
    ] {
        assert_eq!(
            network_effective(status, code),
            effective,
            "{status:?} {code}"
        );
    }
}

#[test]
fn kpi_point_json_has_the_api_fields() {
    let s = compute(&ten_calls(B0, ""));
    let v = serde_json::to_value(&s[0].total).expect("json");
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    let mut want = [
        "ts_us",
        "attempts",
        "answered",
        "busy",
        "cancelled",
        "no_answer",
        "rejected",
        "failed",
        "timeout",
        "live",
        "asr",
        "ner",
        "ser",
        "acd_s",
        "pdd_ms",
        "setup_ms",
    ];
    want.sort();
    assert_eq!(keys, want);
}
