//! The webview's reach: the capabilities grant only what the UI calls, and the CSP shuts the
//! doors the UI never uses.

use std::path::{Path, PathBuf};

fn src_tauri() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ts_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            ts_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts") {
            out.push(path);
        }
    }
}

/// What the UI imports from `@tauri-apps/api`: module and names, per file.
fn tauri_imports() -> Vec<(PathBuf, String, Vec<String>)> {
    let mut files = Vec::new();
    ts_files(&src_tauri().join("../ui/src"), &mut files);
    let mut imports = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for stmt in text.split(';') {
            let stmt = stmt.trim();
            let Some(rest) = stmt.split("from \"@tauri-apps/api").nth(1) else {
                continue;
            };
            let module = rest
                .trim_start_matches('/')
                .trim_end_matches('"')
                .to_owned();
            let names = stmt
                .split('{')
                .nth(1)
                .and_then(|s| s.split('}').next())
                .unwrap_or("*")
                .split(',')
                .map(|n| n.trim().trim_start_matches("type ").to_owned())
                .filter(|n| !n.is_empty())
                .collect();
            imports.push((file.clone(), module, names));
        }
    }
    imports
}

/// The UI calls Tandem's own commands (`invoke`) and receives on `Channel`s: neither needs a
/// core permission (app commands are allowed without an app ACL manifest; a channel's data
/// fetch is always allowed), so the window is granted none. Using another API (events, the
/// window, paths...) fails here until its permission is added to the capability.
#[test]
fn the_webview_gets_only_the_permissions_the_ui_uses() {
    let imports = tauri_imports();
    assert!(
        imports
            .iter()
            .any(|(_, m, n)| m == "core" && n.iter().any(|n| n == "invoke")),
        "the scan finds the UI's imports: {imports:?}"
    );
    for (file, module, names) in &imports {
        assert_eq!(
            module,
            "core",
            "{} imports @tauri-apps/api/{module}",
            file.display()
        );
        for name in names {
            assert!(
                ["invoke", "Channel", "isTauri"].contains(&name.as_str()),
                "{} uses {name} from @tauri-apps/api/core: grant its permission in \
                 src-tauri/capabilities/default.json and list it here",
                file.display()
            );
        }
    }
    let dir = src_tauri().join("capabilities");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let cap = json(&path);
        let permissions = cap["permissions"].as_array().unwrap();
        assert!(
            permissions.is_empty(),
            "{}: the UI needs no permission, yet it grants {permissions:?}",
            path.display()
        );
        assert_eq!(
            cap["windows"],
            serde_json::json!(["main"]),
            "{}",
            path.display()
        );
        assert!(!cap["remote"].is_object(), "no remote origin gets IPC");
    }
}

#[test]
fn the_csp_closes_base_form_and_object() {
    let conf = json(&src_tauri().join("tauri.conf.json"));
    let csp = conf["app"]["security"]["csp"].as_str().unwrap();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for d in [
        "default-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "object-src 'none'",
    ] {
        assert!(directives.contains(&d), "CSP lacks `{d}`: {csp}");
    }
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert!(
        !directives
            .iter()
            .any(|d| d.starts_with("script-src") && d.contains("unsafe-inline")),
        "{csp}"
    );
}
