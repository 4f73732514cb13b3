//! Which minor releases an upgrade crosses that a catalogue has no file for. A `--releases-dir`
//! set replaces the built-in catalogue as a whole, so a folder holding only `2.1.yaml` would
//! otherwise drop every 2.0 item of an upgrade from 1.13 without a word.

use super::model::Release;
use crate::version::Version;

/// The minor lines (`2.0`) an upgrade from `from` to `to` crosses that have no file in
/// `loaded`, oldest first.
///
/// Which lines exist comes from `loaded`, from `reference` (the built-in catalogue) and from
/// minor numbers being consecutive within a major: a file for 2.3 means 2.0 to 2.2 exist. The
/// installed line counts when a later patch of it is known, since the upgrade crosses that
/// patch too. A major between the two with no line known at all is named `3.x`.
pub fn missing_lines(
    loaded: &[Release],
    reference: &[Release],
    from: &Version,
    to: &Version,
) -> Vec<String> {
    let (from, to) = (from.release(), to.release());
    let has_file =
        |major: u64, minor: u64| loaded.iter().any(|r| (r.major, r.minor) == (major, minor));
    let known = || loaded.iter().chain(reference);
    let mut missing = Vec::new();

    let installed_line = (from.major(), from.minor());
    let later_patch_known = known()
        .filter(|r| (r.major, r.minor) == installed_line)
        .any(|r| r.patches.iter().any(|p| *p > from));
    if installed_line < (to.major(), to.minor())
        && later_patch_known
        && !has_file(from.major(), from.minor())
    {
        missing.push(format!("{}.{}", from.major(), from.minor()));
    }

    for major in from.major()..=to.major() {
        let first = if major == from.major() {
            from.minor() + 1
        } else {
            0
        };
        let last = if major == to.major() {
            Some(to.minor())
        } else {
            known().filter(|r| r.major == major).map(|r| r.minor).max()
        };
        match last {
            Some(last) => missing.extend(
                (first..=last)
                    .filter(|minor| !has_file(major, *minor))
                    .map(|minor| format!("{major}.{minor}")),
            ),
            None if major != from.major() => missing.push(format!("{major}.x")),
            None => {}
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    fn line(version: &str, patches: &[&str]) -> Release {
        let (major, minor) = version.split_once('.').unwrap();
        Release {
            version: version.to_string(),
            major: major.parse().unwrap(),
            minor: minor.parse().unwrap(),
            date: None,
            notes: String::new(),
            patches: patches.iter().map(|p| v(p)).collect(),
            upgrade_from: None,
            known_bad: Vec::new(),
            checked: None,
            items: Vec::new(),
            file: format!("{version}.yaml"),
        }
    }

    #[test]
    fn a_set_with_only_the_target_names_what_the_reference_knows_in_between() {
        let loaded = [line("2.1", &["2.1.0"])];
        let reference = [
            line("1.12", &["1.12.0"]),
            line("1.13", &["1.13.0", "1.13.4", "1.13.6"]),
            line("2.0", &["2.0.0", "2.0.7"]),
        ];
        assert_eq!(
            missing_lines(&loaded, &reference, &v("1.13.4"), &v("2.1.0")),
            ["1.13", "2.0"],
            "the later 1.13 patches and all of 2.0"
        );
        // Installed on the newest known 1.13 patch: only 2.0 is crossed.
        assert_eq!(
            missing_lines(&loaded, &reference, &v("1.13.6"), &v("2.1.0")),
            ["2.0"]
        );
        assert_eq!(
            missing_lines(&loaded, &reference, &v("2.0.7"), &v("2.1.0")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn gaps_are_found_without_a_reference_and_unknown_majors_are_named() {
        let loaded = [line("2.0", &["2.0.0"]), line("2.3", &["2.3.0"])];
        assert_eq!(
            missing_lines(&loaded, &[], &v("2.0.0"), &v("2.3.0")),
            ["2.1", "2.2"]
        );
        let loaded = [line("1.13", &["1.13.0"]), line("3.0", &["3.0.0"])];
        assert_eq!(
            missing_lines(&loaded, &[], &v("1.13.0"), &v("3.0.0")),
            ["2.x"]
        );
        // An installed version older than anything known is not a gap of the catalogue.
        let loaded = [line("1.0", &["1.0.0"]), line("1.1", &["1.1.0"])];
        assert_eq!(
            missing_lines(&loaded, &[], &v("0.13.2"), &v("1.1.0")),
            Vec::<String>::new()
        );
    }
}
