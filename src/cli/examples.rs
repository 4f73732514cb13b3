//! The "Examples:" ending each subcommand's `--help` (and its man page): one place, so every
//! subcommand has them and a test can hold them to it.

pub const CHECK: &str = "\
Examples:
  Every check against the target, for people:
    om-upgrade check --config /opt/openmetadata/conf/openmetadata.yaml --target 1.2.0

  The same for a script; exit 1 when a check fails (--strict: also on a warning):
    om-upgrade check --db-url postgres://openmetadata_user@db:5432/openmetadata_db \\
      --target 1.2.0 --json";

pub const BACKUP: &str = "\
Examples:
  A verified, compressed backup, restored into a scratch database to prove it:
    om-upgrade backup --config openmetadata.yaml --output /backups --compress zstd --test-restore

  What a script records (file, size, SHA-256, tables):
    om-upgrade backup --db-url mysql://openmetadata_user@db:3306/openmetadata_db --json";

pub const VERIFY: &str = "\
Examples:
  Check a backup against its manifest:
    om-upgrade verify /backups/openmetadata_db-20260101T120000Z.sql.zst

  Also restore it into a scratch database and compare every table:
    om-upgrade verify /backups/openmetadata_db-20260101T120000Z.sql.zst \\
      --restore-into postgres://postgres@127.0.0.1:5432/omu_scratch --json";

pub const COPY: &str = "\
Examples:
  Copy a backup and its manifest to S3, verified, and record the copy in the manifest:
    om-upgrade copy /backups/openmetadata_db-20260101T120000Z.sql.zst s3://om-backups/prod

  To an S3-compatible store (MinIO) and a mounted folder at once:
    om-upgrade copy backup.sql s3://om-backups/prod /mnt/nas/om --s3-endpoint http://minio:9000";

pub const BACKUPS: &str = "\
Examples:
  The backups in this folder and in /backups:
    om-upgrade backups . /backups

  The backups stored under an S3 prefix:
    om-upgrade backups s3://om-backups/prod

  For a script:
    om-upgrade backups /backups --json";

pub const RESTORE: &str = "\
Examples:
  Restore into a new database:
    om-upgrade restore /backups/openmetadata_db-20260101T120000Z.sql.zst \\
      --db-url postgres://postgres@127.0.0.1:5432/openmetadata_restored

  Replace the tables of an existing database, without asking:
    om-upgrade restore backup.sql --config openmetadata.yaml --force --yes --json

  PostgreSQL: load on four connections (a staging schema, switched in by one transaction):
    om-upgrade restore backup.sql --db-url postgres://postgres@127.0.0.1:5432/openmetadata --jobs 4";

pub const CLIENTS: &str = "\
Examples:
  The ingestion clients on this host against the target, with the pip commands to align them:
    om-upgrade clients --target 1.2.0

  A custom Airflow's interpreter, aligned after asking:
    om-upgrade clients --target 1.2.0 --python /opt/airflow/venv/bin/python --apply";

pub const DEMO: &str = "\
Examples:
  A sample database to rehearse on (created when missing, left as is when it is already the \
sample):
    om-upgrade demo --db-url postgres://postgres@127.0.0.1:5432/omu_demo --if-missing

  Ten times larger, on MariaDB:
    om-upgrade demo --db-url mysql://root@127.0.0.1:3306/omu_demo_big --scale 10 --json";

pub const REPORT: &str = "\
Examples:
  The checklist for the change ticket, as one HTML page:
    om-upgrade report --config openmetadata.yaml --target 1.2.0 --format html \\
      --output upgrade-checklist.html

  Markdown to stdout, JSON for a script:
    om-upgrade report --target 1.2.0 --output - --format markdown
    om-upgrade report --target 1.2.0 --output - --json";

pub const COMPLETIONS: &str = "\
Examples:
  bash (per user):
    om-upgrade completions bash > ~/.local/share/bash-completion/completions/om-upgrade
  zsh (a folder on $fpath):
    om-upgrade completions zsh > ~/.zfunc/_om-upgrade
  fish:
    om-upgrade completions fish > ~/.config/fish/completions/om-upgrade.fish
  PowerShell (in $PROFILE):
    om-upgrade completions powershell | Out-String | Invoke-Expression";

pub const MAN: &str = "\
Examples:
  Read it now:
    om-upgrade man | man -l -
  Install every page:
    mkdir -p man1 && om-upgrade man --output-dir man1 && sudo cp man1/*.1 /usr/local/share/man/man1/";
