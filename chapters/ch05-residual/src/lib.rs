#![doc = include_str!("../../../src/ch05-residual.md")]
#![allow(rustdoc::broken_intra_doc_links)]

book_support::chapter!("ch05-residual.md");

pub mod block;
pub mod nets;

pub use block::Residual;
pub use nets::*;
