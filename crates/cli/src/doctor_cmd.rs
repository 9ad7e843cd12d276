use std::process::ExitCode;

use tandem_core::config::Overrides;
use tandem_core::doctor;

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(global: &GlobalArgs, args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(global, Overrides::default())?;
    let report = doctor::collect(&config);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    // A report with problems is still a successful check; scripts read `problems`.
    Ok(ExitCode::SUCCESS)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn print_report(r: &doctor::Report) {
    println!("Tandem {}", r.version);
    println!("  os           {}", r.os);
    println!("  cpu          {}", r.cpu);
    println!("  config       {}", r.config_path);
    println!("  provider     {} (configured)", r.configured_provider);
    for p in &r.execution_providers {
        let mark = if p.available { "yes" } else { "no " };
        println!("    {:<9} {mark}  {}", p.name, p.note);
    }
    println!("  audio host   {}", r.audio_host);
    println!(
        "  microphones  {} (default: {})",
        list(&r.audio_inputs),
        r.default_input.as_deref().unwrap_or("none")
    );
    println!(
        "  speakers     {} (default: {})",
        list(&r.audio_outputs),
        r.default_output.as_deref().unwrap_or("none")
    );
    println!("  cameras      {}", list(&r.cameras));
    let ok = r.models.iter().filter(|m| m.status == "ok").count();
    println!(
        "  models       {ok}/{} ok in {}",
        r.models.len(),
        r.models_dir
    );
    for m in r.models.iter().filter(|m| m.status != "ok") {
        println!("    {:<8} {}  ({})", m.status, m.name, m.role);
    }
    println!("  supply chain {}", r.supply_chain);
    println!("  language model {}", r.language_model);
    if r.problems.is_empty() {
        println!("\nNo problems found.");
    } else {
        println!("\n{} problem(s):", r.problems.len());
        for p in &r.problems {
            println!("  - {}\n    fix: {}", p.what, p.fix);
        }
    }
}
