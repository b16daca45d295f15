//! The default pattern packs, embedded so a bare install works. One file per area, in the
//! order they take priority.

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
    ("network.toml", include_str!("../../patterns/network.toml")),
    ("system.toml", include_str!("../../patterns/system.toml")),
    (
        "application.toml",
        include_str!("../../patterns/application.toml"),
    ),
    ("changes.toml", include_str!("../../patterns/changes.toml")),
];
