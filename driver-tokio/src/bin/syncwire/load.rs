//! Loading the layers (defaults < config file < `SYNCWIRE_*` env < flags) into a
//! declared [`Layered`] settings struct, the clap arguments of the settings, and the
//! effective configuration printed back as a config file (`--print-config`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use clap::{Arg, ArgAction, ArgMatches};

use crate::layers::{ConfigError, Layered, Raw, Source};

/// The three layers' input: the config file (if any), the `SYNCWIRE_*` environment
/// (an explicit map, so tests pass their own) and the flags given (setting name →
/// text, as clap parsed them).
pub(crate) struct Inputs<'a> {
    /// `--config` / `SYNCWIRE_CONFIG`.
    pub(crate) file: Option<&'a Path>,
    /// Environment variables (others than `SYNCWIRE_*` are ignored).
    pub(crate) env: &'a BTreeMap<String, String>,
    /// Flags given on the command line.
    pub(crate) flags: &'a BTreeMap<&'static str, String>,
}

/// The effective settings and where each value came from.
#[derive(Debug)]
pub(crate) struct Loaded<S> {
    /// The values.
    pub(crate) settings: S,
    /// Each set setting's source (a missing name: the default).
    pub(crate) sources: BTreeMap<&'static str, Source>,
}

impl<S> Loaded<S> {
    /// Where `name`'s value came from.
    pub(crate) fn source(&self, name: &str) -> Source {
        self.sources.get(name).cloned().unwrap_or(Source::Default)
    }

    /// An [`ConfigError::Invalid`] for `name`, naming its source.
    pub(crate) fn invalid(&self, name: &'static str, reason: impl Into<String>) -> ConfigError {
        let source = self.source(name);
        ConfigError::Invalid {
            setting: name,
            source,
            reason: reason.into(),
        }
    }
}

/// Loads `S` from `inputs`: defaults, then the file, then env, then flags.
pub(crate) fn load<S: Layered>(inputs: &Inputs<'_>) -> Result<Loaded<S>, ConfigError> {
    let mut loaded = Loaded {
        settings: S::defaults(),
        sources: BTreeMap::new(),
    };
    if let Some(file) = inputs.file {
        let read = |reason: String| ConfigError::File {
            file: file.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(file).map_err(|e| read(e.to_string()))?;
        let table: toml::Table = text.parse().map_err(|e| read(format!("{e}")))?;
        for (key, value) in &table {
            let source = Source::File(file.to_owned());
            let Some(spec) = S::SPECS.iter().find(|s| s.name == key) else {
                let unknown = ConfigError::Unknown {
                    key: key.clone(),
                    file: file.to_owned(),
                };
                return Err(unknown);
            };
            set(
                &mut loaded,
                spec.name,
                spec.secret,
                Raw::Toml(value),
                source,
            )?;
        }
    }
    for spec in S::SPECS {
        let var = spec.env();
        // An empty variable counts as unset (`SYNCWIRE_X=` in a compose file or unit).
        if let Some(text) = inputs.env.get(&var).filter(|t| !t.is_empty()) {
            let raw = Raw::Text(text);
            set(&mut loaded, spec.name, spec.secret, raw, Source::Env(var))?;
        }
    }
    for spec in S::SPECS {
        if let Some(text) = inputs.flags.get(spec.name) {
            let source = Source::Flag(spec.flag());
            set(&mut loaded, spec.name, spec.secret, Raw::Text(text), source)?;
        }
    }
    Ok(loaded)
}

fn set<S: Layered>(
    loaded: &mut Loaded<S>,
    name: &'static str,
    secret: bool,
    value: Raw<'_>,
    source: Source,
) -> Result<(), ConfigError> {
    match loaded.settings.set(name, value) {
        Ok(_) => {
            loaded.sources.insert(name, source);
            Ok(())
        }
        Err(reason) => Err(ConfigError::Invalid {
            setting: name,
            source,
            // A secret's value is not repeated in the message.
            reason: if secret {
                "invalid value (not shown: secret)".to_owned()
            } else {
                reason
            },
        }),
    }
}

/// One clap argument per setting: `--name VALUE` (a switch may go without a value).
/// `-h` shows the doc's first sentence, `--help` all of it; both the env variable and
/// the default.
pub(crate) fn args<S: Layered>() -> Vec<Arg> {
    let defaults = S::defaults();
    S::SPECS
        .iter()
        .map(|spec| {
            let long = spec.help.split_whitespace().collect::<Vec<_>>().join(" ");
            let short = long
                .split_once(". ")
                .map_or(long.as_str(), |(first, _)| first);
            let short = short.trim_end_matches('.');
            let mut tail = format!(" [env {}]", spec.env());
            if let Some(value) = defaults.get(spec.name) {
                let _ = write!(tail, " [default: {value}]");
            }
            let arg = Arg::new(spec.name)
                .long(spec.flag().trim_start_matches('-').to_owned())
                .help(format!("{short}{tail}"))
                .long_help(format!("{long}{tail}"))
                .action(ArgAction::Set);
            if spec.switch {
                arg.num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
                    .value_name("BOOL")
            } else {
                arg.value_name("VALUE")
            }
        })
        .collect()
}

/// The settings given as flags in `matches` (name → text).
pub(crate) fn given_flags<S: Layered>(matches: &ArgMatches) -> BTreeMap<&'static str, String> {
    S::SPECS
        .iter()
        .filter_map(|spec| {
            let text = matches.get_one::<String>(spec.name)?;
            Some((spec.name, text.clone()))
        })
        .collect()
}

/// The effective configuration as a config file: every set setting as `key = value`
/// with its help and source as comments; unset settings and secrets as comments only,
/// a URL's password as `***` (so the output loads back as the same configuration,
/// secrets aside).
pub(crate) fn print<S: Layered>(loaded: &Loaded<S>) -> String {
    let mut out = String::from(
        "# syncwire serve: the effective configuration.\n\
         # Layers: defaults < config file (--config) < SYNCWIRE_* env < flags.\n\
         # Secrets are never printed: give them in the config file or the environment.\n",
    );
    for spec in S::SPECS {
        out.push('\n');
        for line in spec.help.lines() {
            let _ = writeln!(out, "# {}", line.trim());
        }
        let source = loaded.source(spec.name);
        match loaded.settings.get(spec.name) {
            Some(_) if spec.secret => {
                let _ = writeln!(out, "# {} = (secret from {source}, not shown)", spec.name);
            }
            Some(value) => {
                // A URL's password (`redis`) is a secret inside a plain setting.
                let value = value.to_string();
                let shown = syncwire_driver_core::server::redact_password(&value);
                let hidden = if shown == value {
                    ""
                } else {
                    ", password not shown"
                };
                let _ = writeln!(out, "{} = {shown}  # {source}{hidden}", spec.name);
            }
            None => {
                let _ = writeln!(out, "# {} (unset)", spec.name);
            }
        }
    }
    out
}

/// The `SYNCWIRE_*` variables of the process environment (for [`Inputs::env`]).
pub(crate) fn process_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("SYNCWIRE_"))
        .collect()
}

/// The config file named by `--config` or else `SYNCWIRE_CONFIG`.
pub(crate) fn config_path<'a>(
    flag: Option<&'a Path>,
    env: &'a BTreeMap<String, String>,
) -> Option<&'a Path> {
    flag.or_else(|| env.get("SYNCWIRE_CONFIG").map(Path::new))
}
