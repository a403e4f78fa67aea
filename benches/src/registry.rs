//! The Schema Registry side of `smtbench`: seeding and dumping the `mock://` registries around
//! `smtbench apply` (`--registry-seed`, `--registry-dump`), and `smtbench registry serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weir_engine::properties::Properties;
use weir_formats::registry::mock::{self, DEFAULT_SCOPE};
use weir_formats::registry::server::{RegistryServer, ServeOptions};
use weir_formats::registry::MemoryRegistry;

use crate::cli::CliError;

/// The `mock://` scopes `config` names in any `*schema.registry.url` key, distinct, in the
/// order the keys appear.
pub fn mock_scopes(config: &Properties) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for (key, value) in config.iter() {
        if !key.ends_with("schema.registry.url") {
            continue;
        }
        if let Some(scope) = mock::scope_of_url(value) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
    }
    scopes
}

/// The `mock://` registries of one `smtbench apply` run: seeded before the pipeline is built,
/// dumped after the run.
#[derive(Debug)]
pub struct MockRegistries {
    /// The scopes the config names (or [`DEFAULT_SCOPE`] when it names none).
    scopes: Vec<String>,
    dump: Option<PathBuf>,
}

impl MockRegistries {
    /// Seeds every `mock://` scope `config` names from `seed` (when given): each gets every
    /// entry, under the file's subjects, versions and ids. A config naming no `mock://` registry
    /// gets the seed in the scope [`DEFAULT_SCOPE`] (`mock://default`, which `mock://` alone also
    /// names). `dump` is where [`MockRegistries::dump`] writes later.
    pub fn prepare(
        config: &Properties,
        seed: Option<&Path>,
        dump: Option<&Path>,
    ) -> Result<MockRegistries, CliError> {
        let mut scopes = mock_scopes(config);
        if scopes.is_empty() {
            scopes.push(DEFAULT_SCOPE.to_string());
        }
        if let Some(seed) = seed {
            for scope in &scopes {
                mock::seed_file(&mock::scope(scope), seed).map_err(|e| CliError::Input {
                    path: seed.to_path_buf(),
                    message: format!("registry seed for mock://{scope}: {e}"),
                })?;
            }
        }
        Ok(MockRegistries {
            scopes,
            dump: dump.map(Path::to_path_buf),
        })
    }

    /// Writes the contents of the first scope the config names (in the seed format, in
    /// registration order) to the dump file, when one was asked for.
    pub fn dump(&self) -> Result<(), CliError> {
        let (Some(path), Some(scope)) = (&self.dump, self.scopes.first()) else {
            return Ok(());
        };
        mock::dump_file(&mock::scope(scope), path).map_err(|e| CliError::Output {
            path: path.clone(),
            error: std::io::Error::other(e.to_string()),
        })
    }
}

/// `smtbench registry …`.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RegistryCommand,
}

/// The `smtbench registry` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum RegistryCommand {
    /// Serve an in-memory Schema Registry (REST API) on a loopback address until stopped.
    Serve(ServeArgs),
}

/// The options of `smtbench registry serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The loopback address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "127.0.0.1:PORT", default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// A registry file (the `--registry-seed` format) to load first.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Require HTTP basic auth with these credentials.
    #[arg(long, value_name = "USER:PASSWORD")]
    pub basic_auth: Option<String>,
    /// Wait this many milliseconds before each answer: a slow registry, to try a client's
    /// timeouts, fail-over and caches against.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub answer_delay_ms: u64,
}

impl ServeArgs {
    /// How the server answers: auth and delay as the flags say.
    pub fn options(&self) -> ServeOptions {
        ServeOptions {
            basic_auth: self.basic_auth.clone(),
            answer_delay: Duration::from_millis(self.answer_delay_ms),
        }
    }
}

/// Runs `smtbench registry …`.
pub fn registry(args: &RegistryArgs) -> Result<(), CliError> {
    match &args.command {
        RegistryCommand::Serve(serve_args) => serve(serve_args),
    }
}

/// Starts the server, prints `serving http://ADDR` on stdout, and serves until killed.
pub fn serve(args: &ServeArgs) -> Result<(), CliError> {
    let registry = Arc::new(MemoryRegistry::new());
    if let Some(seed) = &args.seed {
        mock::seed_file(&registry, seed).map_err(|e| CliError::Input {
            path: seed.clone(),
            message: e.to_string(),
        })?;
    }
    let server = RegistryServer::start(args.listen, registry, &args.options())
        .map_err(|e| CliError::Serve(e.to_string()))?;
    let mut stdout = std::io::stdout();
    // A closed stdout only means nobody reads the address; keep serving.
    let _ = writeln!(stdout, "serving {}", server.url());
    let _ = stdout.flush();
    server.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_engine::properties::parse_properties;

    #[test]
    fn serve_flags_become_the_servers_options() {
        #[derive(clap::Parser)]
        struct Serve {
            #[command(flatten)]
            args: ServeArgs,
        }
        let parse = |flags: &[&str]| {
            let argv = std::iter::once("serve").chain(flags.iter().copied());
            <Serve as clap::Parser>::try_parse_from(argv).map(|serve| serve.args.options())
        };
        assert_eq!(parse(&[]).expect("no flags"), ServeOptions::default());
        assert_eq!(
            parse(&["--answer-delay-ms", "250", "--basic-auth", "u:p"]).expect("flags"),
            ServeOptions {
                basic_auth: Some("u:p".to_string()),
                answer_delay: Duration::from_millis(250),
            }
        );
        assert!(parse(&["--answer-delay-ms", "-1"]).is_err());
    }

    #[test]
    fn scopes_come_from_every_registry_url_key_in_order() {
        let config = parse_properties(
            "value.converter.schema.registry.url=mock://b\n\
             output.value.converter.schema.registry.url=mock://a\n\
             key.converter.schema.registry.url=mock://b\n\
             other.schema.registry.url=http://localhost:8081\n",
        )
        .expect("properties");
        assert_eq!(mock_scopes(&config), ["b", "a"]);
    }

    #[test]
    fn seed_then_dump_round_trips_through_the_named_scope() {
        let dir = std::env::temp_dir().join(format!("weir-registry-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let seed = dir.join("seed.json");
        let dump = dir.join("dump.json");
        std::fs::write(
            &seed,
            r#"[{"subject":"t-value","version":1,"id":3,"schemaType":"AVRO","schema":"\"int\"","references":[]}]"#,
        )
        .expect("write seed");
        let config = parse_properties("value.converter.schema.registry.url=mock://cli-test\n")
            .expect("properties");
        let registries = MockRegistries::prepare(&config, Some(&seed), Some(&dump)).expect("seed");
        assert_eq!(mock::scope("cli-test").entries().len(), 1);
        registries.dump().expect("dump");
        let dumped: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&dump).expect("dump file"))
                .expect("json");
        assert_eq!(dumped[0]["id"], 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
