//! Clock drift of an RTP sender against the capture clock: the least-squares slope of
//! arrival time over RTP time, kept online (Welford's update, no stored samples).
//!
//! Arrival time is regressed on RTP time, not the other way round, because the RTP
//! timestamps are exact and the arrivals carry the network jitter: noise in the
//! dependent variable leaves the slope unbiased, noise in the regressor would shrink it.
//! `drift_ppm = (1/slope − 1)·10⁶`: positive when the sender's clock runs fast (more RTP
//! time per second of arrival time), e.g. +100 means 100 µs of media per second more
//! than real time, which a receiver's jitter buffer has to drop.

/// Online least-squares fit of arrival seconds (y) over RTP seconds (x).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClockDrift {
    n: u64,
    mean_x: f64,
    mean_y: f64,
    /// Σ (x − mean_x)².
    m2_x: f64,
    /// Σ (x − mean_x)(y − mean_y).
    c_xy: f64,
}

impl ClockDrift {
    /// Adds one packet: `rtp_s` its RTP time and `arrival_s` its arrival, both in seconds
    /// since the stream's first packet.
    #[inline]
    pub fn add(&mut self, rtp_s: f64, arrival_s: f64) {
        if !rtp_s.is_finite() || !arrival_s.is_finite() {
            return;
        }
        self.n += 1;
        let inv_n = 1.0 / self.n as f64;
        let dx = rtp_s - self.mean_x;
        self.mean_x += dx * inv_n;
        self.mean_y += (arrival_s - self.mean_y) * inv_n;
        self.m2_x += dx * (rtp_s - self.mean_x);
        self.c_xy += dx * (arrival_s - self.mean_y);
    }

    /// Packets in the fit.
    pub fn samples(&self) -> u64 {
        self.n
    }

    /// Drift in parts per million (module docs); 0 with fewer than two packets, or when
    /// all packets carry the same RTP time or arrived at once.
    pub fn ppm(&self) -> f64 {
        if self.n < 2 || self.m2_x <= 0.0 {
            return 0.0;
        }
        let slope = self.c_xy / self.m2_x;
        if !slope.is_finite() || slope <= 0.0 {
            return 0.0;
        }
        (1.0 / slope - 1.0) * 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_lines() {
        let mut d = ClockDrift::default();
        assert_eq!(d.ppm(), 0.0);
        // The sender's clock is 50 ppm fast: 1 s of RTP time every 1/1.00005 s.
        for i in 0..1000 {
            let rtp = f64::from(i) * 0.02;
            d.add(rtp, rtp / 1.000_05);
        }
        assert!((d.ppm() - 50.0).abs() < 1e-3, "{}", d.ppm());
        let mut same = ClockDrift::default();
        same.add(1.0, 1.0);
        same.add(1.0, 2.0);
        assert_eq!(same.ppm(), 0.0);
        same.add(f64::NAN, 1.0);
        assert_eq!(same.samples(), 2);
    }
}
