//! The configuration layers of `syncwire serve`: how one declared setting is read
//! from the config file (TOML), the environment (`SYNCWIRE_<NAME>`) and the command
//! line (`--<name>`), merged (defaults < file < env < flags), reported when wrong
//! (naming the setting and its source) and printed back as a config file.
//!
//! Settings are declared once, in `settings.rs`, with the `settings!` macro: a doc
//! comment (the flag's help and the printed comment), a name, a type implementing
//! [`Value`], a default and whether it is a secret. The flag, the env variable, the
//! file key, the printed line and the error messages all derive from that one line.
//!
//! Why not clap's `env` feature or figment: clap's `env` reads the process
//! environment only (tests would have to set process variables, racing each other)
//! and has no file layer. figment would layer file, env and flags and track each
//! value's source, but its env provider also reads the process environment (tests
//! go through its `Jail`, which sets process variables), flags would have to be
//! serialized into it as a provider, typo protection needs `deny_unknown_fields`,
//! which then also rejects every other `SYNCWIRE_*` variable of the environment
//! (clients and scripts use the prefix too), and printing the effective configuration with secrets redacted and sources
//! shown needs code of its own anyway; for a flat list of scalar settings that is
//! more machinery than the few hundred lines here. clap still parses the command line
//! (help, `--version`, unknown flags refused, with suggestions) and the `toml` crate
//! parses and writes the file.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Nobody set it.
    Default,
    /// The config file at this path.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("the default"),
            Source::File(path) => write!(f, "config file {}", path.display()),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ConfigError {
    /// A value that does not parse, or that validation refused.
    Invalid {
        /// The setting (its file key).
        setting: &'static str,
        /// Where the value came from.
        source: Source,
        /// What is wrong.
        reason: String,
    },
    /// A key of the config file that is no setting (a typo, usually).
    Unknown {
        /// The key.
        key: String,
        /// The file.
        file: PathBuf,
    },
    /// The config file could not be read or is not TOML.
    File {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Settings that cannot go together.
    Conflict(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid {
                setting,
                source,
                reason,
            } => write!(f, "setting `{setting}` (from {source}): {reason}"),
            ConfigError::Unknown { key, file } => write!(
                f,
                "config file {}: unknown setting `{key}` (see `syncwire serve --help`)",
                file.display()
            ),
            ConfigError::File { file, reason } => {
                write!(f, "config file {}: {reason}", file.display())
            }
            ConfigError::Conflict(why) => f.write_str(why),
        }
    }
}

/// A setting's type: parsed from text (env, flags) and from a TOML value (file), and
/// written back as TOML.
pub(crate) trait Value: Sized {
    /// Whether the flag may go without a value (`--open` means `--open=true`).
    const SWITCH: bool = false;
    /// From the text of an env variable or a flag.
    fn parse(text: &str) -> Result<Self, String>;
    /// From a config file value.
    fn from_toml(value: &toml::Value) -> Result<Self, String>;
    /// As a config file value.
    fn to_toml(&self) -> toml::Value;
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn parse(text: &str) -> Result<Self, String> {
                text.trim().parse().map_err(|e| format!("{text:?} is not a whole number in range: {e}"))
            }
            fn from_toml(value: &toml::Value) -> Result<Self, String> {
                let n = value.as_integer().ok_or_else(|| format!("expected a whole number, found {value}"))?;
                <$t>::try_from(n).map_err(|_| format!("{n} is out of range"))
            }
            fn to_toml(&self) -> toml::Value {
                i64::try_from(*self).map_or_else(|_| toml::Value::String(self.to_string()), toml::Value::Integer)
            }
        }
    )*};
}
int_value!(u32, u64, usize);

impl Value for bool {
    const SWITCH: bool = true;
    fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not true or false"))
    }
    fn from_toml(value: &toml::Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| format!("expected true or false, found {value}"))
    }
    fn to_toml(&self) -> toml::Value {
        toml::Value::Boolean(*self)
    }
}

/// Types written as strings in the file.
macro_rules! text_value {
    ($($t:ty => $show:expr),*) => {$(
        impl Value for $t {
            fn parse(text: &str) -> Result<Self, String> {
                text.parse().map_err(|e| format!("{text:?}: {e}"))
            }
            fn from_toml(value: &toml::Value) -> Result<Self, String> {
                let text = value.as_str().ok_or_else(|| format!("expected a string, found {value}"))?;
                Self::parse(text)
            }
            fn to_toml(&self) -> toml::Value {
                let show: fn(&$t) -> String = $show;
                toml::Value::String(show(self))
            }
        }
    )*};
}
text_value!(
    String => |s| s.clone(),
    SocketAddr => |a| a.to_string(),
    PathBuf => |p| p.to_string_lossy().into_owned()
);

/// What the loader knows of each setting (from its declaration in `settings!`).
pub(crate) struct Spec {
    /// File key; the flag is `--` + this with `-` for `_`; env is `SYNCWIRE_` + upper.
    pub(crate) name: &'static str,
    /// The doc comment.
    pub(crate) help: &'static str,
    /// Never printed; an error does not repeat its value.
    pub(crate) secret: bool,
    /// A flag without a value means `true`.
    pub(crate) switch: bool,
}

impl Spec {
    /// `--max-frame-bytes`.
    pub(crate) fn flag(&self) -> String {
        format!("--{}", self.name.replace('_', "-"))
    }
    /// `SYNCWIRE_MAX_FRAME_BYTES`.
    pub(crate) fn env(&self) -> String {
        format!("SYNCWIRE_{}", self.name.to_ascii_uppercase())
    }
}

/// A declared set of settings (implemented by `settings!`).
pub(crate) trait Layered: Sized {
    /// Each setting's name, help and kind, in declaration order.
    const SPECS: &'static [Spec];
    /// The defaults (the library's, where it has one).
    fn defaults() -> Self;
    /// Sets `name` from a layer's value; `Ok(false)` if no setting has that name.
    fn set(&mut self, name: &str, value: Raw<'_>) -> Result<bool, String>;
    /// `name`'s value as TOML (`None`: unset or unknown).
    fn get(&self, name: &str) -> Option<toml::Value>;
}

/// Declares the settings: a `Settings` struct (every value, `None` when unset;
/// the fields are the file keys) implementing [`Layered`].
macro_rules! settings {
    ($( $(#[doc = $doc:literal])+ $name:ident : $ty:ty = $default:expr, $kind:ident; )+) => {
        /// Every setting's value (`None`: unset); the fields are the file keys.
        #[derive(Clone, Debug, PartialEq)]
        pub(crate) struct Settings {
            $( $(#[doc = $doc])+ pub(crate) $name: Option<$ty>, )+
        }

        impl crate::layers::Layered for Settings {
            const SPECS: &'static [crate::layers::Spec] = &[$(crate::layers::Spec {
                name: stringify!($name),
                help: concat!($($doc, "\n"),+),
                secret: settings!(@secret $kind),
                switch: <$ty as crate::layers::Value>::SWITCH,
            }),+];

            fn defaults() -> Settings {
                Settings { $( $name: $default, )+ }
            }

            fn set(&mut self, name: &str, value: crate::layers::Raw<'_>) -> Result<bool, String> {
                match name {
                    $( stringify!($name) => self.$name = Some(value.get::<$ty>()?), )+
                    _ => return Ok(false),
                }
                Ok(true)
            }

            fn get(&self, name: &str) -> Option<toml::Value> {
                match name {
                    $( stringify!($name) => self.$name.as_ref().map(crate::layers::Value::to_toml), )+
                    _ => None,
                }
            }
        }
    };
    (@secret plain) => { false };
    (@secret secret) => { true };
}

/// A value as one layer has it.
pub(crate) enum Raw<'a> {
    /// Env variable or flag text.
    Text(&'a str),
    /// Config file value.
    Toml(&'a toml::Value),
}

impl Raw<'_> {
    /// Converts to the setting's type.
    pub(crate) fn get<T: Value>(&self) -> Result<T, String> {
        match self {
            Raw::Text(text) => T::parse(text),
            Raw::Toml(value) => T::from_toml(value),
        }
    }
}
