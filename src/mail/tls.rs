//! The rustls client configuration: built-in roots plus `--ca-file` anchors.
