//! Embeds the release catalogue: lists `assets/releases/*.yaml` into `$OUT_DIR/releases.rs` as
//! `include_str!` entries, so a new release file needs no code change and no embedding crate.
//! Also records the build's target, profile and compiler for `--version`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read at run time: `env!` would bake in the folder the build script was compiled in, so a
    // target/ copied from another checkout would keep embedding that checkout's files.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("assets/releases");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort();
    let mut code = String::from("pub(crate) const EMBEDDED: &[(&str, &str)] = &[\n");
    for name in &files {
        let path = dir.join(name);
        let _ = writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    build_info();
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("releases.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// What `--version` says about the build: target, profile and compiler.
fn build_info() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "unknown".into());
    let rustc = std::process::Command::new(var("RUSTC"))
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|| "rustc (version unknown)".into());
    println!("cargo:rustc-env=OMU_BUILD_TARGET={}", var("TARGET"));
    println!("cargo:rustc-env=OMU_BUILD_PROFILE={}", var("PROFILE"));
    println!("cargo:rustc-env=OMU_BUILD_RUSTC={rustc}");
}
