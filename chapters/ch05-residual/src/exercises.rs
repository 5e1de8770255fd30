//! Solutions to the chapter's exercises, each with its tests.
