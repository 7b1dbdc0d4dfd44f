//! MOS and R-factor by the ITU-T G.107 E-model, as VoIP monitors apply it to measured
//! streams: per-codec equipment impairment, burst-aware packet loss, and delay.
//!
//! # Formula
//!
//! All terms on the narrowband R scale (G.107 defaults, advantage `A = 0`):
//!
//! - effective latency `Ta = one_way_delay + jitter_buffer`, where the jitter-buffer
//!   delay is the given `jitter_buffer_ms`, else `2 · jitter` (a buffer sized to twice
//!   the interarrival jitter, the usual adaptive-buffer model). The codec's framing and
//!   look-ahead are *not* added: monitors measure network delay, and a caller that wants
//!   mouth-to-ear delay adds [`CodecParams::packet_ms_default`] (or more) to
//!   `one_way_delay_ms`.
//! - delay impairment, the common piecewise approximation of G.107's `Id` (Cole &
//!   Rosenbluth 2001, the form rtpengine's NB model and most monitors use; it folds the
//!   default talker-echo term into the fit): `Id = 0.024·Ta + 0.11·(Ta − 177.3)·H(Ta −
//!   177.3)`, `H` the unit step. G.107's own pure-delay term `Idd` (0 up to 100 ms, then
//!   `25·((1 + x⁶)^⅙ − 3·(1 + (x/3)⁶)^⅙ + 2)`, `x = log₂(Ta/100)`) is [`g107_idd`], for
//!   comparison only: without the echo terms it is far smaller (0.16 at 150 ms, 14.8 at
//!   300 ms, against 3.6 and 20.7).
//! - effective equipment impairment `Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)`,
//!   `Ppl` the loss in percent (0–100), `BurstR` 1 for random loss, above 1 for bursty
//!   loss ([`crate::stream::StreamStats::burst_ratio`]).
//! - `R = 93.2 − Id − Ie,eff`; MOS by G.107 Annex B ([`crate::mos::mos_from_r`]: R < 0 →
//!   1, R > 100 → 4.5, else `1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)`).
//!
//! # Codec table
//!
//! `Ie`/`Bpl` are ITU-T G.113 Appendix I provisional planning values where G.113 has
//! them (narrowband, 8 kHz). Checked against public material on 2026-11-25: G.711 0,
//! G.729A 11, G.723.1 6.3k 15 / 5.3k 19 (Nortel CS1000 IP Trunk Fundamentals, table
//! "impairment factors of codecs"); the slopes the Bpl values imply — about 4 R per
//! percent of random loss with PLC (95/25.1 = 3.8), about 25 without (95/4.3 = 22) —
//! match the Telektronikk survey "IP telephony and some factors that influence speech
//! quality" (Figure 5 text); Bpl 4.3 is G.107's default, its permitted range 4.3–40
//! (tohojo/flent issue #247, quoting G.107 and the ITU's online E-model calculator). The
//! remaining G.113 numbers (Bpl 25.1, 19.0, 16.1, 10.0; GSM-EFR Ie 5; GSM-FR Ie 20;
//! G.726/G.728/G.729 Ie) are as qos-metrics.md §3.2 recalls them and are **unverified**
//! here. Codecs without a G.113 value carry an Argos assumption, marked
//! so; all values are planning values, not measurements of a given implementation.
//!
//! | Codec | Ie | Bpl | ptime | source |
//! |---|---|---|---|---|
//! | G.711 with PLC (PCMU/PCMA, default) | 0 | 25.1 | 20 | G.113 App. I (Ie verified, Bpl unverified) |
//! | G.711 without PLC | 0 | 4.3 | 20 | G.113 App. I; Bpl = G.107's default (verified) |
//! | G.726 32k | 7 | 4.3 | 20 | G.113 App. I Ie (unverified); Bpl assumed: no PLC, as G.711 without PLC |
//! | G.728 16k | 7 | 4.3 | 10 | G.113 App. I Ie (unverified); Bpl assumed as G.726 |
//! | G.729 | 10 | 19.0 | 20 | G.113 App. I Ie (unverified); Bpl of G.729A |
//! | G.729A (+VAD) | 11 | 19.0 | 20 | G.113 App. I (Ie verified, Bpl unverified) |
//! | G.723.1 6.3k | 15 | 16.1 | 30 | G.113 App. I (Ie verified, Bpl unverified) |
//! | GSM-FR | 20 | 10.0 | 20 | G.113 App. I Ie (unverified); Bpl assumed = GSM-EFR |
//! | GSM-EFR | 5 | 10.0 | 20 | G.113 App. I (unverified) |
//! | AMR-NB (12.2k mode) | 5 | 10.0 | 20 | assumed = GSM-EFR (the 12.2k mode is EFR) |
//! | iLBC | 11 | 25.1 | 30 | assumed: a G.729A-class codec with built-in PLC |
//! | Speex NB | 11 | 19.0 | 20 | assumed = G.729A |
//! | G.722 | 0 | 25.1 | 20 | assumed: wideband, at least G.711 quality on the NB scale, G.711-like PLC |
//! | AMR-WB | 0 | 10.0 | 20 | assumed: wideband (Ie 0 on the NB scale), AMR PLC |
//! | Opus | 0 | 10.0 | 20 | assumed: no ITU value (rtpengine's G.107.2 model uses Ie 10.2 / Bpl 4.3 on the 148 fullband scale, i.e. ≈ 0 at zero loss on this one) |
//! | unknown | 0 | 25.1 | 20 | treated as G.711 with PLC |
//!
//! Wideband and fullband codecs are scored on the narrowband scale, so their score is
//! capped at G.711's 4.41: the E-model's wideband extension (G.107.1, R₀ ≈ 129) is not
//! used, to keep one scale for every stream and for HOMER's MOS beside it.

use crate::mos::mos_from_r;
use crate::payload::dynamic_clock_rate;

/// R of a narrowband connection with G.107's default parameters and no impairment.
pub const R_DEFAULT: f64 = 93.2;

/// A voice codec as the E-model scores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law or A-law with packet-loss concealment (G.711 Appendix I).
    G711,
    /// G.711 without packet-loss concealment.
    G711NoPlc,
    /// G.722 (wideband, scored on the narrowband scale).
    G722,
    /// G.723.1 (6.3 kbit/s).
    G723,
    /// G.726 ADPCM (32 kbit/s).
    G726,
    /// G.728 LD-CELP (16 kbit/s).
    G728,
    /// G.729 (full complexity).
    G729,
    /// G.729 Annex A (the usual VoIP G.729).
    G729A,
    /// GSM 06.10 full rate.
    GsmFr,
    /// GSM 06.60 enhanced full rate.
    GsmEfr,
    /// AMR narrowband.
    AmrNb,
    /// AMR wideband (G.722.2).
    AmrWb,
    /// iLBC.
    Ilbc,
    /// Opus.
    Opus,
    /// Speex.
    Speex,
    /// Not a known voice codec: scored as G.711 with PLC.
    Unknown,
}

/// A codec's E-model parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodecParams {
    /// Equipment impairment factor Ie (R-scale points at zero loss).
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
    /// Usual packetisation (ptime), ms.
    pub packet_ms_default: f64,
    /// Display name.
    pub name: &'static str,
}

impl Codec {
    /// The codec's planning values (module docs: table and sources).
    pub fn params(self) -> CodecParams {
        let (ie, bpl, packet_ms_default, name) = match self {
            Codec::G711 => (0.0, 25.1, 20.0, "G.711"),
            Codec::G711NoPlc => (0.0, 4.3, 20.0, "G.711 (no PLC)"),
            Codec::G722 => (0.0, 25.1, 20.0, "G.722"),
            Codec::G723 => (15.0, 16.1, 30.0, "G.723.1"),
            Codec::G726 => (7.0, 4.3, 20.0, "G.726"),
            Codec::G728 => (7.0, 4.3, 10.0, "G.728"),
            Codec::G729 => (10.0, 19.0, 20.0, "G.729"),
            Codec::G729A => (11.0, 19.0, 20.0, "G.729A"),
            Codec::GsmFr => (20.0, 10.0, 20.0, "GSM-FR"),
            Codec::GsmEfr => (5.0, 10.0, 20.0, "GSM-EFR"),
            Codec::AmrNb => (5.0, 10.0, 20.0, "AMR"),
            Codec::AmrWb => (0.0, 10.0, 20.0, "AMR-WB"),
            Codec::Ilbc => (11.0, 25.1, 30.0, "iLBC"),
            Codec::Opus => (0.0, 10.0, 20.0, "Opus"),
            Codec::Speex => (11.0, 19.0, 20.0, "Speex"),
            Codec::Unknown => (0.0, 25.1, 20.0, "unknown"),
        };
        CodecParams {
            ie,
            bpl,
            packet_ms_default,
            name,
        }
    }
}

/// The codec of a static RTP payload type (RFC 3551); [`Codec::Unknown`] for dynamic,
/// non-voice or unassigned types. PT 18 is taken as G.729A, what VoIP endpoints send.
pub fn codec_from_payload_type(pt: u8) -> Codec {
    match pt {
        0 | 8 => Codec::G711,
        2 => Codec::G726,
        3 => Codec::GsmFr,
        4 => Codec::G723,
        9 => Codec::G722,
        15 => Codec::G728,
        18 => Codec::G729A,
        _ => Codec::Unknown,
    }
}

/// The codec of an SDP `a=rtpmap` encoding name (case-insensitive: `PCMU`, `PCMA`,
/// `G729`, `G722`, `iLBC`, `GSM`, `GSM-EFR`, `AMR`, `AMR-WB`, `opus`, `speex`, `G726-32`,
/// `G723`, `G728`). `clock_rate` is the rtpmap rate (0 if absent); it tells AMR-WB from
/// AMR when a producer writes `AMR/16000`.
pub fn codec_from_name(encoding: &str, clock_rate: u32) -> Codec {
    let name = encoding.trim();
    let is = |s: &str| name.eq_ignore_ascii_case(s);
    let starts = |p: &str| {
        name.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    if is("PCMU") || is("PCMA") || is("G711") || is("G711U") || is("G711A") {
        Codec::G711
    } else if is("G722") {
        Codec::G722
    } else if is("G723") || starts("G723.1") {
        Codec::G723
    } else if starts("G726") || starts("G721") || starts("AAL2-G726") {
        Codec::G726
    } else if is("G728") {
        Codec::G728
    } else if is("G729A") || is("G729AB") {
        Codec::G729A
    } else if starts("G729") {
        // `G729` in SDP is, in practice, G.729A (Annex A is bit-compatible).
        Codec::G729A
    } else if is("GSM-EFR") {
        Codec::GsmEfr
    } else if is("GSM") {
        Codec::GsmFr
    } else if is("AMR-WB") || (is("AMR") && rate_of(encoding, clock_rate) >= 16000) {
        Codec::AmrWb
    } else if is("AMR") {
        Codec::AmrNb
    } else if is("iLBC") {
        Codec::Ilbc
    } else if is("opus") {
        Codec::Opus
    } else if is("speex") {
        Codec::Speex
    } else {
        Codec::Unknown
    }
}

fn rate_of(encoding: &str, clock_rate: u32) -> u32 {
    if clock_rate != 0 {
        clock_rate
    } else {
        dynamic_clock_rate(encoding)
    }
}

/// What the E-model is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmodelInput {
    /// The stream's codec.
    pub codec: Codec,
    /// Packet loss, percent (0–100; clamped).
    pub loss_percent: f64,
    /// G.107 BurstR: 1.0 for random loss, above 1 for bursty loss (below 1 is taken
    /// as 1).
    pub burst_ratio: f64,
    /// One-way network delay, ms (RTT/2 when known; 0 when unknown).
    pub one_way_delay_ms: f64,
    /// Interarrival jitter, ms.
    pub jitter_ms: f64,
    /// Jitter-buffer delay, ms, when known (RTCP XR JB nominal); else `2 · jitter_ms`.
    pub jitter_buffer_ms: Option<f64>,
}

/// The E-model's result and its terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmodelResult {
    /// R = 93.2 − Id − Ie,eff (not clamped; may be negative).
    pub r_factor: f64,
    /// MOS by G.107 Annex B, 1.0..=4.5.
    pub mos: f64,
    /// Effective equipment impairment (codec + loss).
    pub ie_eff: f64,
    /// Delay impairment.
    pub id: f64,
    /// Effective latency Ta the delay impairment was computed from, ms.
    pub effective_latency_ms: f64,
}

/// Non-negative and finite, else 0.
fn non_negative(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Delay impairment `Id` by the piecewise approximation (module docs), `ta` in ms.
pub fn delay_impairment(ta: f64) -> f64 {
    let ta = non_negative(ta);
    let mut id = 0.024 * ta;
    if ta > 177.3 {
        id += 0.11 * (ta - 177.3);
    }
    id
}

/// G.107's pure-delay impairment `Idd` for an absolute delay `ta` ms (0 up to 100 ms).
/// Not used by [`emodel`]; for comparison with tools that apply it alone.
pub fn g107_idd(ta: f64) -> f64 {
    let ta = non_negative(ta);
    if ta <= 100.0 {
        return 0.0;
    }
    let x = (ta / 100.0).log2();
    let sixth = 1.0 / 6.0;
    25.0 * ((1.0 + x.powi(6)).powf(sixth) - 3.0 * (1.0 + (x / 3.0).powi(6)).powf(sixth) + 2.0)
}

/// `Ie,eff` for a codec's parameters, loss percent and burst ratio (module docs).
pub fn effective_ie(params: &CodecParams, loss_percent: f64, burst_ratio: f64) -> f64 {
    let ppl = non_negative(loss_percent).min(100.0);
    let burst = if burst_ratio.is_finite() && burst_ratio > 1.0 {
        burst_ratio
    } else {
        1.0
    };
    let denominator = ppl / burst + params.bpl;
    if ppl == 0.0 || denominator <= 0.0 {
        return params.ie;
    }
    params.ie + (95.0 - params.ie) * ppl / denominator
}

/// The E-model (module docs) for one stream direction.
pub fn emodel(input: &EmodelInput) -> EmodelResult {
    let params = input.codec.params();
    let buffer = match input.jitter_buffer_ms {
        Some(b) => non_negative(b),
        None => 2.0 * non_negative(input.jitter_ms),
    };
    let effective_latency_ms = non_negative(input.one_way_delay_ms) + buffer;
    let id = delay_impairment(effective_latency_ms);
    let ie_eff = effective_ie(&params, input.loss_percent, input.burst_ratio);
    let r_factor = R_DEFAULT - id - ie_eff;
    EmodelResult {
        r_factor,
        mos: mos_from_r(r_factor),
        ie_eff,
        id,
        effective_latency_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(codec: Codec, loss: f64, delay: f64) -> EmodelInput {
        EmodelInput {
            codec,
            loss_percent: loss,
            burst_ratio: 1.0,
            one_way_delay_ms: delay,
            jitter_ms: 0.0,
            jitter_buffer_ms: None,
        }
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn g711_without_impairment_is_93_2_and_4_41() {
        let r = emodel(&input(Codec::G711, 0.0, 0.0));
        assert!(close(r.r_factor, 93.2, 1e-9), "{r:?}");
        // 1 + 0.035·93.2 + 7e-6·93.2·33.2·6.8 = 4.4093
        assert!(close(r.mos, 4.4093, 1e-4), "{r:?}");
        assert_eq!((r.id, r.ie_eff, r.effective_latency_ms), (0.0, 0.0, 0.0));
    }

    #[test]
    fn codec_impairment_alone() {
        // G.729A: Ie 11 → R 82.2, MOS 1 + 2.877 + 7e-6·82.2·22.2·17.8 = 4.1044
        let r = emodel(&input(Codec::G729A, 0.0, 0.0));
        assert!(close(r.r_factor, 82.2, 1e-9));
        assert!(close(r.mos, 4.1044, 1e-4), "{r:?}");
        let r = emodel(&input(Codec::G723, 0.0, 0.0));
        assert!(close(r.r_factor, 78.2, 1e-9));
    }

    #[test]
    fn random_loss_with_bpl() {
        // Ie,eff = Ie + (95 − Ie)·p/(p + Bpl), hand-computed:
        // G.711+PLC: 1 % → 95/26.1 = 3.6398; 2 % → 190/27.1 = 7.0111; 5 % → 475/30.1 = 15.7807
        for (loss, ie_eff) in [(1.0, 3.6398), (2.0, 7.0111), (5.0, 15.7807)] {
            let r = emodel(&input(Codec::G711, loss, 0.0));
            assert!(close(r.ie_eff, ie_eff, 1e-4), "{loss}: {r:?}");
            assert!(close(r.r_factor, 93.2 - ie_eff, 1e-4));
        }
        // G.711 without PLC, 1 %: 95/5.3 = 17.9245
        let r = emodel(&input(Codec::G711NoPlc, 1.0, 0.0));
        assert!(close(r.ie_eff, 17.9245, 1e-4));
        // G.729A 2 %: 11 + 84·2/21 = 19; 5 %: 11 + 84·5/24 = 28.5
        assert!(close(
            emodel(&input(Codec::G729A, 2.0, 0.0)).ie_eff,
            19.0,
            1e-9
        ));
        assert!(close(
            emodel(&input(Codec::G729A, 5.0, 0.0)).ie_eff,
            28.5,
            1e-9
        ));
        // G.723.1 1 %: 15 + 80/17.1 = 19.6784
        assert!(close(
            emodel(&input(Codec::G723, 1.0, 0.0)).ie_eff,
            19.6784,
            1e-4
        ));
    }

    #[test]
    fn bursty_loss_hurts_more() {
        // G.711+PLC, 5 %, BurstR 2: 95·5/(2.5 + 25.1) = 17.2101
        let mut i = input(Codec::G711, 5.0, 0.0);
        i.burst_ratio = 2.0;
        let r = emodel(&i);
        assert!(close(r.ie_eff, 17.2101, 1e-4), "{r:?}");
        // BurstR below 1 (or NaN) counts as random.
        i.burst_ratio = 0.5;
        assert!(close(emodel(&i).ie_eff, 15.7807, 1e-4));
        i.burst_ratio = f64::NAN;
        assert!(close(emodel(&i).ie_eff, 15.7807, 1e-4));
    }

    #[test]
    fn delay_150_and_300_ms() {
        // 150 ms: Id = 0.024·150 = 3.6; 300 ms: 7.2 + 0.11·122.7 = 20.697
        let r = emodel(&input(Codec::G711, 0.0, 150.0));
        assert!(close(r.id, 3.6, 1e-9));
        assert!(close(r.r_factor, 89.6, 1e-9));
        let r = emodel(&input(Codec::G711, 0.0, 300.0));
        assert!(close(r.id, 20.697, 1e-9));
        assert!(close(r.r_factor, 72.503, 1e-9));
        // G.107 Idd alone, hand-computed: 0.1635 at 150 ms, 14.761 at 300 ms.
        assert!(close(g107_idd(150.0), 0.1636, 1e-3));
        assert!(close(g107_idd(300.0), 14.761, 1e-3));
        assert_eq!(g107_idd(100.0), 0.0);
    }

    #[test]
    fn jitter_buffer_model() {
        // Jitter 20 ms → buffer 40 ms; with 100 ms network delay Ta = 140 ms.
        let mut i = input(Codec::G711, 0.0, 100.0);
        i.jitter_ms = 20.0;
        let r = emodel(&i);
        assert!(close(r.effective_latency_ms, 140.0, 1e-9));
        assert!(close(r.id, 3.36, 1e-9));
        i.jitter_buffer_ms = Some(60.0);
        assert!(close(emodel(&i).effective_latency_ms, 160.0, 1e-9));
    }

    #[test]
    fn qos_metrics_reference_vectors() {
        // qos-metrics.md §3.4: G.711+PLC d=150 1 % → R 85.96, MOS 4.23; no PLC → 71.68,
        // 3.67; G.729A d=200 2 % → 66.90, 3.45.
        let r = emodel(&input(Codec::G711, 1.0, 150.0));
        assert!(close(r.r_factor, 85.96, 0.005) && close(r.mos, 4.23, 0.005));
        let r = emodel(&input(Codec::G711NoPlc, 1.0, 150.0));
        assert!(close(r.r_factor, 71.68, 0.005) && close(r.mos, 3.67, 0.005));
        let r = emodel(&input(Codec::G729A, 2.0, 200.0));
        assert!(close(r.r_factor, 66.90, 0.005) && close(r.mos, 3.45, 0.005));
    }

    /// Rows of the comparison table in docs/decisions/0008-mos-emodel.md.
    #[test]
    fn decision_table_rows() {
        // (loss, burst, jitter, rtt, homer R, G.711+PLC R, no-PLC R, G.729A R)
        let rows = [
            (1.0, 1.0, 10.0, 40.0, 88.95, 88.60, 74.32, 77.04),
            (5.0, 1.0, 20.0, 100.0, 76.95, 75.26, 39.96, 62.54),
            (5.0, 2.0, 20.0, 100.0, 76.95, 73.83, 21.19, 60.51),
            (1.0, 1.0, 30.0, 300.0, 65.70, 80.92, 66.64, 69.36),
        ];
        for (loss, burst, jitter, rtt, homer, plc, no_plc, g729a) in rows {
            let h = crate::mos::homer_mos(loss, jitter, rtt);
            assert!(close(h.r_factor, homer, 0.005), "{h:?}");
            for (codec, want) in [
                (Codec::G711, plc),
                (Codec::G711NoPlc, no_plc),
                (Codec::G729A, g729a),
            ] {
                let r = emodel(&EmodelInput {
                    codec,
                    loss_percent: loss,
                    burst_ratio: burst,
                    one_way_delay_ms: rtt / 2.0,
                    jitter_ms: jitter,
                    jitter_buffer_ms: None,
                });
                assert!(close(r.r_factor, want, 0.005), "{codec:?} {r:?}");
            }
        }
    }

    #[test]
    fn hostile_inputs_stay_in_range() {
        for v in [f64::NAN, f64::INFINITY, -1.0, 1e300, 0.0] {
            let r = emodel(&EmodelInput {
                codec: Codec::Opus,
                loss_percent: v,
                burst_ratio: v,
                one_way_delay_ms: v,
                jitter_ms: v,
                jitter_buffer_ms: Some(v),
            });
            assert!((1.0..=4.5).contains(&r.mos), "{v}: {r:?}");
            assert!(!r.r_factor.is_nan());
        }
        // 100 % loss: Ie,eff = 9500/125.1 = 75.94 → R 17.26 → MOS 1.18.
        let r = emodel(&input(Codec::G711, 100.0, 0.0));
        assert!(
            close(r.r_factor, 17.26, 0.01) && close(r.mos, 1.177, 0.001),
            "{r:?}"
        );
    }

    #[test]
    fn names_and_payload_types() {
        assert_eq!(codec_from_name("PCMU", 8000), Codec::G711);
        assert_eq!(codec_from_name("pcma", 8000), Codec::G711);
        assert_eq!(codec_from_name("G729", 8000), Codec::G729A);
        assert_eq!(codec_from_name("G722", 8000), Codec::G722);
        assert_eq!(codec_from_name("iLBC", 8000), Codec::Ilbc);
        assert_eq!(codec_from_name("GSM", 8000), Codec::GsmFr);
        assert_eq!(codec_from_name("GSM-EFR", 8000), Codec::GsmEfr);
        assert_eq!(codec_from_name("AMR", 8000), Codec::AmrNb);
        assert_eq!(codec_from_name("AMR", 16000), Codec::AmrWb);
        assert_eq!(codec_from_name("AMR-WB", 16000), Codec::AmrWb);
        assert_eq!(codec_from_name("opus", 48000), Codec::Opus);
        assert_eq!(codec_from_name("SPEEX", 16000), Codec::Speex);
        assert_eq!(codec_from_name("G726-32", 8000), Codec::G726);
        assert_eq!(codec_from_name("telephone-event", 8000), Codec::Unknown);
        assert_eq!(codec_from_name("", 0), Codec::Unknown);
        assert_eq!(codec_from_payload_type(0), Codec::G711);
        assert_eq!(codec_from_payload_type(8), Codec::G711);
        assert_eq!(codec_from_payload_type(18), Codec::G729A);
        assert_eq!(codec_from_payload_type(4), Codec::G723);
        assert_eq!(codec_from_payload_type(3), Codec::GsmFr);
        assert_eq!(codec_from_payload_type(9), Codec::G722);
        assert_eq!(codec_from_payload_type(101), Codec::Unknown);
        assert_eq!(Codec::G729A.params().ie, 11.0);
        assert_eq!(Codec::G723.params().packet_ms_default, 30.0);
    }
}
