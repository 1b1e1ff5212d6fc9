//! `--rate N`: a token bucket of N keys per second holding at most `burst` tokens
//! (max(1, N/10)): key number k of the run starts no earlier than k/N seconds after the start,
//! less the burst, so no second ever sees more than N keys plus one burst, and K keys take at
//! least (K - burst)/N seconds.

use std::time::{Duration, Instant};

/// The bucket.
pub struct Pace {
    rate: u32,
    start: Instant,
    admitted: u64,
}

impl Pace {
    pub fn new(rate: u32) -> Pace {
        Pace {
            rate: rate.max(1),
            start: Instant::now(),
            admitted: 0,
        }
    }

    /// How many keys may go at once.
    pub fn burst(&self) -> usize {
        usize::try_from((self.rate / 10).max(1)).unwrap_or(1)
    }

    /// Waits until `n` more keys may go, and counts them.
    pub fn admit(&mut self, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.admitted = self.admitted.saturating_add(n);
        let burst = u64::try_from(self.burst()).unwrap_or(1);
        // The last of these keys may start once admitted - burst keys' time has passed.
        let due = self.admitted.saturating_sub(burst);
        let at = self.start + Duration::from_secs_f64(due as f64 / f64::from(self.rate));
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }
}
