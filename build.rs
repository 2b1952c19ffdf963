//! Records the commit the binary is built from (`omnisync --version`, the `omnisync_build_info` metric). A build
//! outside a git checkout (a source tarball) may set `OMNISYNC_COMMIT` itself; otherwise it says "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=OMNISYNC_COMMIT");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-changed=.git/packed-refs");
    let commit = std::env::var("OMNISYNC_COMMIT").ok().filter(|c| !c.trim().is_empty()).or_else(|| {
        let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        out.status.success().then(|| text.trim().to_owned()).filter(|c| !c.is_empty())
    });
    let commit = commit.unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=OMNISYNC_COMMIT={commit}");
}
