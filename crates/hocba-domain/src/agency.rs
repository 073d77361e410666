//! The directory of agencies (cơ quan, đơn vị): the tree of the national organisation whose
//! staff the registry records, each agency with its parent, administrative level and the dates
//! it exists.
//!
//! The tree ships as a data file in the repository (`data/agencies.csv`, described at its top)
//! and the operator adds to it through the API. Agencies are merged and split (the Government's
//! restructuring of 2025-03-01, the provinces' of 2025-07-01), so an agency is looked at "as of"
//! a date: an employment period names an agency in force for the whole period.

use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use crate::dates::Validity;
use crate::official::{AdministrativeLevel, AgencyCode};
use crate::validation::{self, Invalid, Validator};

/// The directory as shipped: the file `data/agencies.csv`.
pub const AGENCY_DIRECTORY: &str = include_str!("../data/agencies.csv");

/// An agency of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// Its code.
    pub code: AgencyCode,
    /// Its name.
    pub name: String,
    /// The agency it is a unit of; `None` at the top of the tree.
    pub parent: Option<AgencyCode>,
    /// Its administrative level.
    pub level: AdministrativeLevel,
    /// When it exists.
    pub validity: Validity,
}

impl Agency {
    /// Whether an employment period of `period` can be at this agency: the agency exists on
    /// every day of it.
    pub fn in_force_throughout(&self, period: &Validity) -> bool {
        self.validity.encloses(period)
    }
}

/// An agency as submitted, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgencyDraft {
    /// Its code, unique in the directory.
    #[cfg_attr(feature = "openapi", schema(example = "G01.H29.09"))]
    pub code: String,
    /// Its name.
    #[cfg_attr(feature = "openapi", schema(example = "Phòng Công chức, viên chức"))]
    pub name: String,
    /// The code of the agency it is a unit of; absent at the top of the tree.
    #[cfg_attr(feature = "openapi", schema(example = "G01.H29"))]
    pub parent_code: Option<String>,
    /// Its administrative level.
    pub level: AdministrativeLevel,
    /// First day it exists.
    pub valid_from: Date,
    /// Last day it exists, if it was merged or dissolved.
    pub valid_to: Option<Date>,
}

impl AgencyDraft {
    /// Validates every field.
    pub fn parse(self) -> Result<Agency, Invalid> {
        let mut v = Validator::default();
        let code = v.check("code", AgencyCode::parse(&self.code));
        let name = v.check("name", validation::text(&self.name, 200));
        let parent =
            v.check_optional("parent_code", self.parent_code.as_deref(), AgencyCode::parse);
        let validity = Validity::check_fields(&mut v, self.valid_from, self.valid_to);
        let (Some(code), Some(name), Some(parent), Some(validity)) = (code, name, parent, validity)
        else {
            return Err(v.into_invalid());
        };
        if parent.as_ref() == Some(&code) {
            v.reject("parent_code", crate::Violation::OwnParent);
        }
        v.finish(Agency { code, name, parent, level: self.level, validity })
    }
}

/// A line of the directory file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("agency directory, line {line}: {reason}")]
pub struct DirectoryError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Reads a directory file: `code,parent,level,valid_from,valid_to,name` lines, `#` comments.
/// A parent must come before its units, and a code appear once.
pub fn parse_directory(text: &str) -> Result<Vec<Agency>, DirectoryError> {
    let mut agencies: Vec<Agency> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let refuse = |reason: String| DirectoryError { line: index + 1, reason };
        let fields: Vec<&str> = line.splitn(6, ',').map(str::trim).collect();
        let [code, parent, level, from, to, name] = fields.as_slice() else {
            return Err(refuse("expected code,parent,level,valid_from,valid_to,name".to_owned()));
        };
        let date = |raw: &str| {
            Date::parse(raw, format_description!("[year]-[month]-[day]"))
                .map_err(|_| refuse(format!("`{raw}` is not a date (YYYY-MM-DD)")))
        };
        let draft = AgencyDraft {
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            parent_code: (!parent.is_empty()).then(|| (*parent).to_owned()),
            level: AdministrativeLevel::from_stored(level)
                .ok_or_else(|| refuse(format!("`{level}` is not an administrative level")))?,
            valid_from: date(from)?,
            valid_to: if to.is_empty() { None } else { Some(date(to)?) },
        };
        let agency = draft.parse().map_err(|invalid| refuse(invalid.to_string()))?;
        if agencies.iter().any(|known| known.code == agency.code) {
            return Err(refuse(format!("{} is listed twice", agency.code.as_str())));
        }
        if let Some(parent) = &agency.parent
            && !agencies.iter().any(|known| known.code == *parent)
        {
            return Err(refuse(format!("the parent {} is not listed above", parent.as_str())));
        }
        agencies.push(agency);
    }
    Ok(agencies)
}

/// `root` and every agency below it in the tree given as `(code, parent)` pairs: the agencies
/// whose staff an HR key that covers sub-units reads.
pub fn with_subunits(
    root: &AgencyCode,
    tree: &[(AgencyCode, Option<AgencyCode>)],
) -> Vec<AgencyCode> {
    let mut reach = vec![root.clone()];
    let mut next = 0;
    // Breadth first; a code joins once, so even a (corrupt) cycle ends.
    while let Some(parent) = reach.get(next).cloned() {
        for (code, _) in tree.iter().filter(|(_, up)| up.as_ref() == Some(&parent)) {
            if !reach.contains(code) {
                reach.push(code.clone());
            }
        }
        next += 1;
    }
    reach
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn code(raw: &str) -> AgencyCode {
        AgencyCode::parse(raw).expect("code")
    }

    #[test]
    fn the_shipped_directory_reads() {
        let agencies = parse_directory(AGENCY_DIRECTORY).expect("the shipped file reads");
        let find = |raw: &str| agencies.iter().find(|agency| agency.code == code(raw));
        assert_eq!(find("G09").map(|agency| agency.name.as_str()), Some("Bộ Nội vụ"));
        assert_eq!(
            find("G01.H29.03").and_then(|agency| agency.parent.clone()),
            Some(code("G01.H29"))
        );
        let provinces_now = agencies
            .iter()
            .filter(|agency| {
                agency.level == AdministrativeLevel::Province && agency.parent.is_none()
            })
            .filter(|agency| agency.validity.covers(date!(2025 - 07 - 01)))
            .count();
        assert_eq!(provinces_now, 34, "the provinces of the 2025 reform");
        let comma = find("G11").map(|agency| agency.name.as_str());
        assert_eq!(comma, Some("Bộ Văn hóa, Thể thao và Du lịch"), "a name keeps its commas");
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        let refused = |text: &str| parse_directory(text).map(|_| ()).unwrap_err().line;
        assert_eq!(
            refused("# c\nG09,,central,1990-01-01,,Bộ Nội vụ\nG10,G99,central,1990-01-01,,X"),
            3
        );
        assert_eq!(refused("G09,,central,1990-01-01,,A\nG09,,central,1990-01-01,,B"), 2);
        assert_eq!(refused("G09,,nowhere,1990-01-01,,A"), 1);
        assert_eq!(refused("G09,,central,01/01/1990,,A"), 1);
        assert_eq!(refused("G09,,central,1990-01-01"), 1);
    }

    #[test]
    fn sub_units_are_every_agency_below() {
        let tree = [
            (code("T01"), None),
            (code("G01.H29"), Some(code("T01"))),
            (code("G01.H29.03"), Some(code("G01.H29"))),
            (code("G01.H30"), Some(code("T01"))),
            (code("G09"), None),
        ];
        assert_eq!(with_subunits(&code("G01.H29"), &tree), [code("G01.H29"), code("G01.H29.03")]);
        assert_eq!(with_subunits(&code("T01"), &tree).len(), 4);
        assert_eq!(with_subunits(&code("G09"), &tree), [code("G09")]);
    }

    #[test]
    fn a_period_fits_an_agency_only_within_its_existence() {
        let merged = Agency {
            code: code("T35"),
            name: "Ủy ban nhân dân tỉnh Hà Nam".to_owned(),
            parent: None,
            level: AdministrativeLevel::Province,
            validity: Validity::new(date!(1990 - 01 - 01), Some(date!(2025 - 06 - 30))).unwrap(),
        };
        let period = |from, to| Validity::new(from, to).unwrap();
        assert!(
            merged.in_force_throughout(&period(date!(2020 - 01 - 01), Some(date!(2025 - 06 - 30))))
        );
        assert!(!merged.in_force_throughout(&period(date!(2020 - 01 - 01), None)));
        assert!(
            !merged
                .in_force_throughout(&period(date!(2025 - 07 - 01), Some(date!(2025 - 12 - 31))))
        );
        assert!(
            !merged
                .in_force_throughout(&period(date!(1985 - 01 - 01), Some(date!(1995 - 01 - 01))))
        );
    }
}
