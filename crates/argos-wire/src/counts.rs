//! What happened to every frame given to a [`crate::FrameProcessor`].

/// What a capture file held, by outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WireCounts {
    pub frames: u64,
    pub sip_udp: u64,
    pub sip_tcp: u64,
    /// SIP messages from SCTP DATA chunks.
    pub sip_sctp: u64,
    pub hep_unwrapped: u64,
    pub skipped_hep: u64,
    pub skipped_not_sip: u64,
    /// IP fragments that ended up in no complete datagram (expired, dropped, or still
    /// incomplete at the end of the file).
    pub skipped_fragment: u64,
    /// IP fragments read (each is also counted in `frames`).
    pub ip_fragments: u64,
    /// Datagrams put back together from IP fragments.
    pub ip_reassembled: u64,
    /// Fragmented datagrams dropped incomplete: timed out or left at the end of the file.
    pub ip_frag_expired: u64,
    /// Fragmented datagrams dropped over a limit (size, pending count, pending bytes) or
    /// for inconsistent fragments.
    pub ip_frag_dropped: u64,
    pub skipped_undecodable: u64,
    /// A truncated or corrupt end of file; frames before it were kept.
    pub file_errors: u64,
    /// Fragmented SCTP messages dropped incomplete (limits, missing chunks).
    pub sctp_dropped: u64,
    /// RTCP datagrams seen (with [`crate::WireOptions::rtcp`]).
    pub rtcp: u64,
    /// RTCP handed out as HEP proto-5 JSON captures.
    pub rtcp_sent: u64,
    /// RTCP between addresses no SDP announced: dropped (captagent and heplify do the same).
    pub rtcp_uncorrelated: u64,
    /// RTCP that looked right but did not decode into a report.
    pub rtcp_undecodable: u64,
    /// RTCP holding only BYE/APP/feedback packets: nothing a report is made of (not sent).
    pub rtcp_nothing_to_report: u64,
    /// RTP packets of announced media analysed (with [`crate::WireOptions::rtp`]), streams
    /// seen, and stream reports handed out (HEP proto 34).
    pub rtp: u64,
    pub rtp_streams: u64,
    pub rtp_reports: u64,
    /// RTP of announced media that did not decode, and packets of streams beyond the
    /// stream limit (not analysed).
    pub rtp_undecodable: u64,
    pub rtp_not_analysed: u64,
    /// TLS decryption (all zero without a key log).
    pub tls: argos_net::TlsStats,
}

impl WireCounts {
    pub fn add(&mut self, o: &WireCounts) {
        self.frames += o.frames;
        self.sip_udp += o.sip_udp;
        self.sip_tcp += o.sip_tcp;
        self.sip_sctp += o.sip_sctp;
        self.hep_unwrapped += o.hep_unwrapped;
        self.skipped_hep += o.skipped_hep;
        self.skipped_not_sip += o.skipped_not_sip;
        self.skipped_fragment += o.skipped_fragment;
        self.ip_fragments += o.ip_fragments;
        self.ip_reassembled += o.ip_reassembled;
        self.ip_frag_expired += o.ip_frag_expired;
        self.ip_frag_dropped += o.ip_frag_dropped;
        self.skipped_undecodable += o.skipped_undecodable;
        self.file_errors += o.file_errors;
        self.sctp_dropped += o.sctp_dropped;
        self.rtcp += o.rtcp;
        self.rtcp_sent += o.rtcp_sent;
        self.rtcp_uncorrelated += o.rtcp_uncorrelated;
        self.rtcp_undecodable += o.rtcp_undecodable;
        self.rtcp_nothing_to_report += o.rtcp_nothing_to_report;
        self.rtp += o.rtp;
        self.rtp_streams += o.rtp_streams;
        self.rtp_reports += o.rtp_reports;
        self.rtp_undecodable += o.rtp_undecodable;
        self.rtp_not_analysed += o.rtp_not_analysed;
        let (t, u) = (&mut self.tls, &o.tls);
        t.connections += u.connections;
        t.decrypted += u.decrypted;
        t.no_key += u.no_key;
        t.unsupported += u.unsupported;
        t.malformed += u.malformed;
        t.gaps += u.gaps;
        t.decrypt_failures += u.decrypt_failures;
        t.incomplete += u.incomplete;
        t.records_decrypted += u.records_decrypted;
        t.plaintext_bytes += u.plaintext_bytes;
        t.key_updates += u.key_updates;
    }

    pub fn messages(&self) -> u64 {
        self.sip_udp + self.sip_tcp + self.sip_sctp + self.hep_unwrapped
    }
}
