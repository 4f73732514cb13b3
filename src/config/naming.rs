//! How advice names a setting. The same advice reaches an operator on the command line, where a
//! setting is a flag, and in the wizard, where the connection is a form: "check --port" sends
//! the wizard's operator looking for a setting the form does not have. Advice is written with
//! [`Setting`]s, and whoever runs the checks says which [`Naming`] its operator reads.

/// A setting advice can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Engine,
    Host,
    Port,
    User,
    /// How to give the password.
    Password,
    Database,
    Schema,
    SslMode,
    SslCa,
    ConnectTimeout,
    /// The OpenMetadata version to upgrade to.
    Target,
    SearchUrl,
    SearchCa,
    ServerUrl,
    /// The server's openmetadata.yaml.
    ServerConfig,
    /// Where backups are written.
    BackupFolder,
    Compression,
}

/// Who reads the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// Flags and environment variables (`om-upgrade check`, `report`, …).
    #[default]
    CommandLine,
    /// The wizard's connection form: its fields by their labels; a setting the form does not
    /// have is named as the option to start om-upgrade with, and said not to be on the form.
    Form,
}

impl Naming {
    /// The setting as this reader finds it, to put in a sentence ("check the port (--port)").
    pub fn name(self, setting: Setting) -> &'static str {
        match self {
            Naming::CommandLine => match setting {
                Setting::Engine => "--engine",
                Setting::Host => "-H",
                Setting::Port => "--port",
                Setting::User => "-u",
                Setting::Password => {
                    "DB_USER_PASSWORD, --password-file FILE, or run on a terminal to be asked for it"
                }
                Setting::Database => "-d/--database, OM_DATABASE, or the url in openmetadata.yaml",
                Setting::Schema => "-s/--schema",
                Setting::SslMode => "--ssl-mode",
                Setting::SslCa => "--ssl-ca",
                Setting::ConnectTimeout => "--connect-timeout",
                Setting::Target => "--target",
                Setting::SearchUrl => "--search-url URL",
                Setting::SearchCa => "--search-ca",
                Setting::ServerUrl => "--server-url URL",
                Setting::ServerConfig => "--config openmetadata.yaml",
                Setting::BackupFolder => "--output DIR",
                Setting::Compression => "--compress zstd",
            },
            Naming::Form => match setting {
                Setting::Engine => "the engine field",
                Setting::Host => "the host field",
                Setting::Port => "the port field",
                Setting::User => "the user field",
                Setting::Password => "the password field",
                Setting::Database => "the database field",
                Setting::Schema => "the schema field",
                Setting::SslMode => {
                    "--ssl-mode: an option to start om-upgrade with, not on the form"
                }
                Setting::SslCa => "--ssl-ca: an option to start om-upgrade with, not on the form",
                Setting::ConnectTimeout => {
                    "--connect-timeout: an option to start om-upgrade with, not on the form"
                }
                Setting::Target => "the target of the Welcome step",
                Setting::SearchUrl => {
                    "--search-url URL: an option to start om-upgrade with, not on the form"
                }
                Setting::SearchCa => {
                    "--search-ca: an option to start om-upgrade with, not on the form"
                }
                Setting::ServerUrl => {
                    "--server-url URL: an option to start om-upgrade with, not on the form"
                }
                Setting::ServerConfig => {
                    "--config \
                     openmetadata.yaml: an option to start om-upgrade with, not on the form"
                }
                Setting::BackupFolder => "the folder option of the Backup step",
                Setting::Compression => "the compression option of the Backup step",
            },
        }
    }
}
