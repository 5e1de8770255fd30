//! Book-wide checks, one test binary (linking mdBook once keeps `cargo test`
//! fast). Each module checks one promise of ARCHITECTURE.md.

#[path = "book/claims.rs"]
mod claims;
#[path = "book/cli.rs"]
mod cli;
#[path = "book/figures.rs"]
mod figures;
#[path = "book/html.rs"]
mod html;
#[path = "book/lint.rs"]
mod lint;
#[path = "book/live.rs"]
mod live;
#[path = "book/structure.rs"]
mod structure;
#[path = "book/translation.rs"]
mod translation;
