//! The hub state machine (issue #4; in progress).
