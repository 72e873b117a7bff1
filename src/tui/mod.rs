//! Terminal and event loop.
