//! Vault policies (`.hcl`/`.policy`/JSON files and `vault_policy` resources in Terraform) and
//! the Vault provider's role resources.

use super::iam::Value;
use crate::source::{FileKind, Node, Route, SourceFile};

/// One `path "…" { … }` stanza.
#[derive(Clone, Debug)]
pub struct PathRule<'a> {
    pub path: &'a str,
    /// Route of the stanza's body (its key is the path).
    pub route: Route,
    pub node: &'a Node,
    /// Capabilities, with the legacy `policy = "…"` expanded the way Vault does.
    pub capabilities: Vec<&'static str>,
    /// Where the capabilities are written (`capabilities` or `policy`).
    pub capabilities_route: Route,
}

impl PathRule<'_> {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities.contains(&capability)
    }

    /// Any capability that changes state (Vault's deny wins over everything in the stanza).
    pub fn writes(&self) -> bool {
        !self.has("deny")
            && ["create", "update", "patch", "delete", "sudo"]
                .iter()
                .any(|c| self.has(c))
    }
}

const KNOWN: &[&str] = &[
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "sudo",
    "deny",
    "subscribe",
    "recover",
    "scan",
    "root",
];

fn expand_legacy(policy: &str) -> Vec<&'static str> {
    match policy {
        "deny" => vec!["deny"],
        "read" => vec!["read", "list"],
        "write" => vec!["create", "read", "update", "delete", "list"],
        "sudo" => vec!["create", "read", "update", "delete", "list", "sudo"],
        _ => Vec::new(),
    }
}

fn paths_in<'a>(policy: &'a Node, route: Route, out: &mut Vec<PathRule<'a>>) {
    let Some(paths) = policy.get("path") else {
        return;
    };
    let base = route.key("path");
    for (path, body) in paths.entries() {
        let route = base.key(path);
        let (capabilities, capabilities_route) = if let Some(caps) = body.get("capabilities") {
            let caps = caps
                .items()
                .into_iter()
                .filter_map(|c| {
                    let text = c.as_str()?;
                    KNOWN.iter().find(|k| **k == text).copied()
                })
                .collect();
            (caps, route.key("capabilities"))
        } else if let Some(policy) = body.get_str("policy") {
            (expand_legacy(policy), route.key("policy"))
        } else {
            (Vec::new(), route.clone())
        };
        out.push(PathRule {
            path: path.trim_start_matches('/'),
            node: body,
            capabilities,
            capabilities_route,
            route,
        });
    }
}

/// Every path stanza of every Vault policy in a file.
pub fn path_rules(file: &SourceFile) -> Vec<PathRule<'_>> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match file.kind {
        FileKind::VaultPolicy => paths_in(root, Route::root(), &mut out),
        FileKind::Terraform => {
            for (name, body, route) in resources(root, "vault_policy") {
                let _ = name;
                if let Some(policy) = body.get("policy") {
                    paths_in(policy, route.key("policy"), &mut out);
                }
            }
        }
        _ => {}
    }
    out
}

/// One Vault JWT/OIDC auth role: a `vault_jwt_auth_backend_role` resource.
#[derive(Clone, Debug)]
pub struct JwtRole<'a> {
    /// The resource's name (its label in Terraform).
    pub name: &'a str,
    pub body: &'a Node,
    /// Route of the resource body.
    pub route: Route,
}

/// Every JWT/OIDC auth role a document declares. Read from any document's `resource`
/// mapping, as Terraform's JSON syntax holds one too.
pub fn jwt_roles(file: &SourceFile) -> Vec<JwtRole<'_>> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    resources(root, "vault_jwt_auth_backend_role")
        .into_iter()
        .map(|(name, body, route)| JwtRole { name, body, route })
        .collect()
}

/// The instances of one Terraform resource type: `(name, body, route)`.
pub fn resources<'a>(root: &'a Node, kind: &str) -> Vec<(&'a str, &'a Node, Route)> {
    let Some(instances) = root.get("resource").and_then(|r| r.get(kind)) else {
        return Vec::new();
    };
    instances
        .entries()
        .map(|(name, body)| {
            let route = Route::root().key("resource").key(kind).key(name);
            (name, body, route)
        })
        .collect()
}

/// A scalar attribute of a resource body, with its route.
pub fn attr<'a>(body: &'a Node, route: &Route, key: &str) -> Option<Value<'a>> {
    Some(Value {
        text: body.get(key)?.as_str()?,
        route: route.key(key),
    })
}

/// The smallest `max_lease_ttl` that a mount or auth backend in this file declares, in
/// seconds: roles on a tuned mount do not inherit Vault's 768h system default.
pub fn declared_mount_max_ttl(root: &Node) -> Option<u64> {
    let parse = |node: Option<&Node>| {
        node.and_then(Node::as_str)
            .and_then(crate::util::duration::seconds)
    };
    let mut found: Option<u64> = None;
    let mut note = |seconds: Option<u64>| {
        if let Some(s) = seconds.filter(|s| *s > 0) {
            found = Some(found.map_or(s, |f| f.min(s)));
        }
    };
    for kind in [
        "vault_mount",
        "vault_aws_secret_backend",
        "vault_database_secrets_mount",
    ] {
        for (_, body, _) in resources(root, kind) {
            note(parse(body.get("max_lease_ttl_seconds")));
        }
    }
    for kind in [
        "vault_auth_backend",
        "vault_jwt_auth_backend",
        "vault_approle_auth_backend",
    ] {
        for (_, body, _) in resources(root, kind) {
            for tune in body.get("tune").map(Node::items).unwrap_or_default() {
                note(parse(tune.get("max_lease_ttl")));
            }
        }
    }
    found
}
