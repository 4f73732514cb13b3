//! Uploads one file to a destination with om-upgrade's store code (multipart, verified, never
//! over an existing object) and prints the result as JSON; `scripts/bench-upload` times it
//! against boto3. Credentials and endpoint come from the standard environment variables.
//!
//! Usage: cargo run --release --example store_upload -- FILE URL [NAME]
//! Tuning for experiments: OMU_STORE_PART_MIB, OMU_STORE_CONCURRENCY (defaults: the library's).

use std::path::PathBuf;
use std::time::Instant;

use om_upgrade::config::Env;
use om_upgrade::store::{Store, StoreOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(file), Some(url)) = (args.next(), args.next()) else {
        return Err("usage: store_upload FILE URL [NAME]".into());
    };
    let file = PathBuf::from(file);
    let name = match args.next() {
        Some(name) => name,
        None => file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("FILE has no UTF-8 file name")?
            .to_string(),
    };
    let mut options = StoreOptions::default();
    let number = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    if let Some(mib) = number("OMU_STORE_PART_MIB") {
        options.part_size = mib << 20;
    }
    if let Some(n) = number("OMU_STORE_CONCURRENCY") {
        options.concurrency = n;
    }
    let store = Store::open(&url, &options, &Env::from_process())?;
    let started = Instant::now();
    let stored = store.upload_file(&file, &name, None).await?;
    let mut json = serde_json::to_value(&stored)?;
    json["seconds"] = serde_json::json!(started.elapsed().as_secs_f64());
    println!("{json}");
    Ok(())
}
