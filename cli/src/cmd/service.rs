//! `service …`: servicing operations (wimkit extension).

use super::ProgressMode;
use super::update::{pick_image, update_error};
use crate::args::service::{ApplyUpdateArgs, InspectPackageArgs, ServiceArgs, ServiceCommand};
use crate::error::{CliError, ErrorCode};
use servicing::package::{PackageError, inspect};
use servicing::progress::Event;
use servicing::update::UpdateOptions;
use servicing::update::packages::{
    PackageResult, PackageSpec, apply_packages, windows_package_refusal,
};
use std::path::{Path, PathBuf};

/// Runs `service`.
pub fn run(a: &ServiceArgs, progress: ProgressMode) -> Result<(), CliError> {
    match &a.command {
        ServiceCommand::ApplyUpdate(x) => apply_update(x),
        ServiceCommand::InspectPackage(x) => inspect_package(x),
        ServiceCommand::ExtractIndex(x) => super::service_ops::extract_index(x, progress),
        ServiceCommand::Optimize(x) => super::service_ops::optimize(x, progress),
    }
}

/// The id of package `k` (0-based) of `n`.
fn id_for(ids: &[String], k: usize, n: usize) -> Result<String, CliError> {
    match ids.len() {
        1 if k == 0 => Ok(ids[0].clone()),
        1 => Ok(format!("{}-{}", ids[0], k + 1)),
        m if m == n => Ok(ids[k].clone()),
        m => Err(CliError::Usage(format!(
            "{m} --id values for {n} packages (give one, or one per package)"
        ))),
    }
}

fn apply_update(a: &ApplyUpdateArgs) -> Result<(), CliError> {
    for p in &a.packages {
        if let Some(msg) = windows_package_refusal(Path::new(p)) {
            return Err(CliError::lib(ErrorCode::Unsupported, msg));
        }
    }
    let image = pick_image(&a.wimfile, Some(&a.image))?;
    let mut specs = Vec::new();
    for (k, p) in a.packages.iter().enumerate() {
        specs.push(PackageSpec {
            dir: PathBuf::from(p),
            id: id_for(&a.ids, k, a.packages.len())?,
        });
    }
    let opts = UpdateOptions {
        rebuild: a.rebuild,
        integrity: a.check.then_some(true),
        threads: a.threads,
        ..Default::default()
    };
    let events = |e: &Event| {
        if let Event::Warning(m) = e {
            eprintln!("[WARNING] {m}");
        }
    };
    let (outcomes, rep) = apply_packages(
        Path::new(&a.wimfile),
        image,
        &specs,
        a.continue_on_error,
        &opts,
        &events,
    )
    .map_err(|e| update_error(&e, &a.wimfile))?;
    let mut failed = Vec::new();
    for o in &outcomes {
        match &o.result {
            PackageResult::Applied(s) => println!(
                "Applied update \"{}\": {} added, {} replaced, {} deleted, {} bytes",
                o.id, s.added, s.replaced, s.deleted, s.bytes
            ),
            PackageResult::AlreadyApplied => {
                println!("Update \"{}\" is already applied; nothing to do.", o.id)
            }
            PackageResult::Failed(m) => {
                eprintln!("ERROR: update \"{}\" failed (not applied): {m}", o.id);
                failed.push(o.id.clone());
            }
        }
    }
    if rep.properties_refreshed {
        println!("Windows properties in the XML refreshed from the image.");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::lib(
            ErrorCode::InvalidParam,
            format!(
                "{} of {} update(s) failed: {}",
                failed.len(),
                outcomes.len(),
                failed.join(", ")
            ),
        ))
    }
}

fn inspect_package(a: &InspectPackageArgs) -> Result<(), CliError> {
    let id = inspect(Path::new(&a.file)).map_err(|e| match e {
        PackageError::Io(x) => CliError::lib(ErrorCode::Open, format!("\"{}\": {x}", a.file)),
        other => CliError::lib(ErrorCode::InvalidParam, format!("\"{}\": {other}", a.file)),
    })?;
    let refusal = "refused: needs the Windows servicing stack (CBS/CSI); run DISM /Add-Package on a Windows host, or stage it (servicing.md)";
    if a.json {
        let v = serde_json::json!({
            "container": id.container,
            "inner_cab": id.inner_cab,
            "name": id.name,
            "kb": id.kb,
            "version": id.version,
            "arch": id.arch,
            "language": id.language,
            "public_key_token": id.public_key_token,
            "release_type": id.release_type,
            "identity": id.cbs_identity(),
            "install": refusal,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    println!("Container:        {}", id.container);
    if let Some(c) = &id.inner_cab {
        println!("Package CAB:      {c}");
    }
    println!("Name:             {}", id.name);
    println!("KB:               {}", id.kb.as_deref().unwrap_or("(none)"));
    println!("Version:          {}", id.version);
    println!("Architecture:     {}", id.arch);
    println!("Language:         {}", id.language);
    println!("Public Key Token: {}", id.public_key_token);
    if let Some(r) = &id.release_type {
        println!("Release Type:     {r}");
    }
    println!("Identity:         {}", id.cbs_identity());
    println!("Install:          {refusal}");
    Ok(())
}
