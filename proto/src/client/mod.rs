//! The client session state machine (issue #3; in progress).
