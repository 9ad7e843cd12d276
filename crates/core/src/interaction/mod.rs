//! The interaction loop's pure core: every micro-turn, [`step`] looks at what was heard, what
//! the assistant is saying and what the reasoner sent, and decides the floor actions.
//!
//! `step(&mut State, &Inputs, now_ms) -> Vec<Action>` has no clock, threads or I/O of its own;
//! the same core runs live, in simulation (`tandem duplex`) and in tests. The driver calls it at
//! every micro-turn boundary, and also early when voice activity starts while the assistant is
//! speaking, so a barge-in does not wait for the next boundary.

mod policy;
mod types;
mod words;

pub use policy::{State, step};
pub use types::*;

#[cfg(test)]
mod tests;
