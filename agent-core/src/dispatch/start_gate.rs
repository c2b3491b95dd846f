//! [`StartGate`]: whether a guarded call still starts its agent, decided
//! once between the call and its caller.
//!
//! A guarded call runs on when its caller leaves ([`detached`](super::detached)),
//! so that a repeat finds its answer instead of starting a second job. Until
//! its agent starts there is nothing to finish: a call whose caller left
//! while it waited for a worker would only take that worker from the calls
//! whose callers still wait. So the call passes the gate as its agent
//! starts, and a caller leaving first closes it: the call is then dropped
//! where it waits, and its key released.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

const UNDECIDED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

/// Passed by the call when its agent starts, or closed by its caller
/// leaving first; whichever comes first decides.
#[derive(Clone, Default)]
pub(super) struct StartGate(Arc<AtomicU8>);

impl StartGate {
    /// Passes the gate: whether the call may start its agent (its caller
    /// has not left).
    pub(super) fn pass(&self) -> bool {
        self.decide(STARTED)
    }

    /// Closes the gate: whether the call will not start (it had not passed).
    pub(super) fn close(&self) -> bool {
        self.decide(ABANDONED)
    }

    /// Settles the gate on `state` unless it is settled already; whether
    /// it is `state` now.
    fn decide(&self, state: u8) -> bool {
        match self
            .0
            .compare_exchange(UNDECIDED, state, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(settled) => settled == state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_to_come_decides() {
        let gate = StartGate::default();
        assert!(gate.pass());
        assert!(!gate.close(), "a started call is not abandoned");
        assert!(gate.pass());

        let gate = StartGate::default();
        assert!(gate.close());
        assert!(!gate.pass(), "an abandoned call does not start");
        assert!(gate.close());
    }
}
