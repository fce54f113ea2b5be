//! samfix, the command line: arguments, walking and reading files, atomic writes, and the
//! reports. What a template means and how it is fixed is [`samfix_core`]'s.

pub mod cli;
pub mod report;

pub use samfix_core::*;
