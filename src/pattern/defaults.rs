//! The default pattern packs, embedded so a bare install works. One file per area, in the
//! order they take priority: product-specific packs first, the generic network signatures
//! (connection refused, reset, timeouts, DNS) last, so that a Kubernetes probe or a gRPC
//! deadline that mentions "connection refused" is named for what it is.

pub const PACKS: &[(&str, &str)] = &[
    (
        "database.toml",
        include_str!("../../patterns/database.toml"),
    ),
    (
        "load_balancer.toml",
        include_str!("../../patterns/load_balancer.toml"),
    ),
    (
        "web_server.toml",
        include_str!("../../patterns/web_server.toml"),
    ),
    ("system.toml", include_str!("../../patterns/system.toml")),
    (
        "application.toml",
        include_str!("../../patterns/application.toml"),
    ),
    ("changes.toml", include_str!("../../patterns/changes.toml")),
    ("network.toml", include_str!("../../patterns/network.toml")),
];
