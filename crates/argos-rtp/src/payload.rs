//! Payload types: RTP clock rates and display names exactly as Wireshark's RTP analysis
//! uses them (static table for PT < 96, SDP `a=rtpmap` for dynamic ones).

/// Comfort noise (RFC 3389).
pub const PT_CN: u8 = 13;
/// The old, reserved comfort-noise payload type.
pub const PT_CN_OLD: u8 = 19;

/// What an SDP `a=rtpmap` said about a dynamic payload type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFormat {
    /// Encoding name as written (`opus`, `telephone-event`).
    pub encoding: String,
    /// Clock rate from the rtpmap (0 if absent).
    pub clock_rate: u32,
}

/// Payload-type → format map from an SDP (dynamic types only matter). Small and
/// copied per stream, so a sorted `Vec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadMap {
    entries: Vec<(u8, PayloadFormat)>,
}

impl PayloadMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the format of `pt`.
    pub fn insert(&mut self, pt: u8, encoding: &str, clock_rate: u32) {
        let f = PayloadFormat {
            encoding: encoding.to_owned(),
            clock_rate,
        };
        match self.entries.binary_search_by_key(&pt, |e| e.0) {
            Ok(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    e.1 = f;
                }
            }
            Err(i) => self.entries.insert(i, (pt, f)),
        }
    }

    /// The format of `pt`, if the SDP mapped it.
    pub fn get(&self, pt: u8) -> Option<&PayloadFormat> {
        self.entries
            .binary_search_by_key(&pt, |e| e.0)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| &e.1)
    }

    /// Number of mapped payload types.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Clock rate of a static payload type (Wireshark's table; G.722 is 8000 as RFC 3551
/// says, unknown or unassigned types are 0).
pub fn static_clock_rate(pt: u8) -> u32 {
    match pt {
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => 8000,
        6 => 16000,
        10 | 11 => 44100,
        14 | 25 | 26 | 28 | 31..=34 => 90000,
        16 => 11025,
        17 => 22050,
        _ => 0,
    }
}

/// Clock rate Wireshark derives from a dynamic encoding name: case-insensitive prefix
/// match against its table, scanned from the end so `EVRCWB` beats `EVRC`.
pub fn dynamic_clock_rate(encoding: &str) -> u32 {
    const TABLE: &[(&str, u32)] = &[
        ("AMR", 8000),
        ("AMR-WB", 16000),
        ("BMPEG", 90000),
        ("BT656", 90000),
        ("DV", 90000),
        ("EVRC", 8000),
        ("EVRC0", 8000),
        ("EVRC1", 8000),
        ("EVRCB", 8000),
        ("EVRCB0", 8000),
        ("EVRCB1", 8000),
        ("EVRCWB", 16000),
        ("EVRCWB0", 16000),
        ("EVRCWB1", 16000),
        ("EVS", 16000),
        ("G7221", 16000),
        ("G726-16", 8000),
        ("G726-24", 8000),
        ("G726-32", 8000),
        ("G726-40", 8000),
        ("G729D", 8000),
        ("G729E", 8000),
        ("GSM-EFR", 8000),
        ("H263-1998", 90000),
        ("H263-2000", 90000),
        ("H264", 90000),
        ("MP1S", 90000),
        ("MP2P", 90000),
        ("MP4V-ES", 90000),
        ("mpa-robust", 90000),
        ("opus", 48000),
        ("pointer", 90000),
        ("raw", 90000),
        ("red", 1000),
        ("SMV", 8000),
        ("SMV0", 8000),
        ("t140", 1000),
        ("telephone-event", 8000),
    ];
    let name = encoding.as_bytes();
    for (prefix, rate) in TABLE.iter().rev() {
        let p = prefix.as_bytes();
        if name.len() >= p.len() && name.iter().zip(p).all(|(a, b)| a.eq_ignore_ascii_case(b)) {
            return *rate;
        }
    }
    0
}

/// True for RFC 4733 telephone events (name prefix, case-insensitive).
pub fn is_telephone_event(encoding: &str) -> bool {
    encoding
        .get(..15)
        .is_some_and(|p| p.eq_ignore_ascii_case("telephone-event"))
}

/// How Wireshark's analysis treats one packet's payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketClock {
    /// Clock rate in Hz (0: no jitter/skew computed for the packet).
    pub rate: u32,
    /// RFC 4733 telephone event (rate forced to 0).
    pub telephone_event: bool,
}

/// Clock for payload type `pt`: the static table below 96, else the SDP mapping
/// (telephone-event → 0; the rtpmap rate; the name table), else 0.
pub fn packet_clock(pt: u8, map: Option<&PayloadMap>) -> PacketClock {
    if pt < 96 {
        return PacketClock {
            rate: static_clock_rate(pt),
            telephone_event: false,
        };
    }
    match map.and_then(|m| m.get(pt)) {
        Some(f) if is_telephone_event(&f.encoding) => PacketClock {
            rate: 0,
            telephone_event: true,
        },
        Some(f) => PacketClock {
            rate: if f.clock_rate != 0 {
                f.clock_rate
            } else {
                dynamic_clock_rate(&f.encoding)
            },
            telephone_event: false,
        },
        None => PacketClock {
            rate: 0,
            telephone_event: false,
        },
    }
}

/// Short name tshark prints for a static payload type (`g711U`, `g711A`, ...).
pub fn static_short_name(pt: u8) -> Option<&'static str> {
    Some(match pt {
        0 => "g711U",
        1 => "fs-1016",
        2 => "g721",
        3 => "GSM",
        4 => "g723",
        5 => "DVI4 8k",
        6 => "DVI4 16k",
        7 => "Exp. from Xerox PARC",
        8 => "g711A",
        9 => "g722",
        10 => "16-bit audio, stereo",
        11 => "16-bit audio, monaural",
        12 => "Qualcomm",
        13 => "CN",
        14 => "MPEG-I/II Audio",
        15 => "g728",
        16 => "DVI4 11k",
        17 => "DVI4 22k",
        18 => "g729",
        19 => "CN(old)",
        20..=24 => "Unassigned",
        25 => "CellB",
        26 => "JPEG",
        28 => "NV",
        31 => "h261",
        32 => "MPEG-I/II Video",
        33 => "MPEG-II streams",
        34 => "h263",
        35..=71 | 77..=95 => "Unassigned",
        _ => return None,
    })
}

/// Display name of a payload type: the static short name below 96, else the SDP
/// encoding name, else `RTPType-N` (as tshark prints an unmapped dynamic type).
pub fn payload_name(pt: u8, map: Option<&PayloadMap>) -> String {
    if let Some(n) = static_short_name(pt) {
        return n.to_owned();
    }
    match map.and_then(|m| m.get(pt)) {
        Some(f) => f.encoding.clone(),
        None => format!("RTPType-{pt}"),
    }
}
