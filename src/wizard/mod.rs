//! The wizard state machine.
