//! A class as Vietnamese offices export it from a spreadsheet: comma or semicolon separated
//! (Excel with Vietnamese regional settings writes semicolons), UTF-8 with or without a byte
//! order mark, dates as `YYYY-MM-DD` or `dd/mm/yyyy`, scores with a decimal point or comma.
//! Each line becomes the JSON object `POST /api/v1/completions` takes, or the reasons it cannot.

use anyhow::bail;
use serde_json::{Map, Number, Value};
use time::{Date, Month};

/// The columns the registry takes, and how each cell is read.
const COLUMNS: [(&str, Cell); 10] = [
    ("national_id", Cell::Text),
    ("full_name", Cell::Text),
    ("date_of_birth", Cell::Date),
    ("class_id", Cell::Text),
    ("program_code", Cell::Text),
    ("started_on", Cell::Date),
    ("ended_on", Cell::Date),
    ("duration_days", Cell::Days),
    ("outcome", Cell::Text),
    ("score", Cell::Score),
];

#[derive(Debug, Clone, Copy)]
enum Cell {
    Text,
    Date,
    Days,
    Score,
}

impl Cell {
    /// The cell as the API takes it, or what it should have looked like.
    fn read(self, cell: &str) -> Result<Value, &'static str> {
        match self {
            Cell::Text => Ok(Value::String(cell.to_owned())),
            Cell::Date => date(cell).map(Value::String).ok_or("YYYY-MM-DD or dd/mm/yyyy"),
            Cell::Days => (cell.bytes().all(|b| b.is_ascii_digit()))
                .then(|| cell.parse::<Number>().ok())
                .flatten()
                .map(Value::Number)
                .ok_or("a whole number of days, such as 20"),
            Cell::Score => score(cell).map(Value::Number).ok_or("a number such as 8.5 or 8,5"),
        }
    }
}

/// Why a line is not posted, or why the registry refused it: never blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// A stable code (the registry's, or `malformed` for a cell this reader refuses).
    pub code: String,
    /// The column (field) concerned.
    pub field: String,
    /// What is wrong, in words.
    pub sentence: String,
}

/// One line of the file after the header.
#[derive(Debug)]
pub struct Line {
    /// Its line number in the file (the header is line 1).
    pub number: u64,
    /// Its cells, as read.
    pub cells: Vec<String>,
    /// The row to post, or why it cannot be posted.
    pub row: Result<Map<String, Value>, Vec<Reason>>,
}

/// A file read.
#[derive(Debug)]
pub struct Spreadsheet {
    /// `b','` or `b';'`, as detected from the header.
    pub delimiter: u8,
    /// The header row.
    pub headers: Vec<String>,
    /// Every other line.
    pub lines: Vec<Line>,
}

/// Reads a file; refuses one that is not UTF-8 text, has no header or names unknown columns.
pub fn read(bytes: &[u8]) -> anyhow::Result<Spreadsheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..error.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        bail!(
            "line {line}: the file is not UTF-8 text; expected CSV saved as \"CSV UTF-8\" \
             (Excel: File > Save As > CSV UTF-8)"
        );
    }
    let delimiter = detect_delimiter(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut records = reader.records();
    let Some(header) = records.next() else { bail!("the file is empty; expected a header row") };
    let headers: Vec<String> = header?.iter().map(|cell| cell.trim().to_owned()).collect();
    let mut columns = Vec::with_capacity(headers.len());
    for (index, name) in headers.iter().enumerate() {
        let Some((_, cell)) = COLUMNS.iter().find(|(known, _)| known == name) else {
            let known: Vec<&str> = COLUMNS.iter().map(|(known, _)| *known).collect();
            bail!(
                "line 1, column {}: unknown column `{name}`; expected one of {}",
                index + 1,
                known.join(", ")
            );
        };
        columns.push(*cell);
    }
    let mut lines = Vec::new();
    for record in records {
        let record = record?;
        // Counted here: after a CRLF or a blank line, csv's position is on the line break
        // before the record, and its line count lags.
        let from = record.position().map_or(0, |position| position.byte() as usize);
        let before = bytes.get(..from).unwrap_or(bytes);
        let breaks = bytes.get(from..).unwrap_or_default();
        let breaks = breaks.iter().take_while(|&&b| b == b'\r' || b == b'\n');
        let lines_before = before.iter().chain(breaks).filter(|&&b| b == b'\n').count();
        let number = 1 + lines_before as u64;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue; // a blank line, as spreadsheets leave at the end
        }
        let row = if cells.len() == headers.len() {
            row(&headers, &columns, &cells)
        } else {
            Err(vec![Reason {
                code: "malformed".to_owned(),
                field: "columns".to_owned(),
                sentence: format!(
                    "has {} cells; expected {}, as the header has",
                    cells.len(),
                    headers.len()
                ),
            }])
        };
        lines.push(Line { number, cells, row });
    }
    Ok(Spreadsheet { delimiter, headers, lines })
}

/// The delimiter of the header line: a semicolon if it has more of them than commas.
fn detect_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |delimiter: u8| header.iter().filter(|&&b| b == delimiter).count();
    if count(b';') > count(b',') { b';' } else { b',' }
}

/// A line's row: empty cells are left out, every other cell read as its column says.
fn row(
    headers: &[String],
    columns: &[Cell],
    cells: &[String],
) -> Result<Map<String, Value>, Vec<Reason>> {
    let mut row = Map::new();
    let mut reasons = Vec::new();
    for (index, ((header, column), cell)) in headers.iter().zip(columns).zip(cells).enumerate() {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        match column.read(cell) {
            Ok(value) => {
                row.insert(header.clone(), value);
            }
            Err(expected) => reasons.push(Reason {
                code: "malformed".to_owned(),
                field: header.clone(),
                sentence: format!("column {}: expected {expected}", index + 1),
            }),
        }
    }
    if reasons.is_empty() { Ok(row) } else { Err(reasons) }
}

/// `YYYY-MM-DD` or `dd/mm/yyyy` (`d/m/yyyy` too), a real day, as `YYYY-MM-DD`.
fn date(cell: &str) -> Option<String> {
    let parts = |separator: char| -> Option<Vec<&str>> {
        let parts: Vec<&str> = cell.split(separator).collect();
        let digits = parts.iter().all(|part| part.bytes().all(|b| b.is_ascii_digit()));
        (parts.len() == 3 && digits).then_some(parts)
    };
    let (year, month, day) = if let Some(parts) = parts('-') {
        let [year, month, day] = parts.as_slice() else { return None };
        (year.len() == 4 && month.len() == 2 && day.len() == 2).then_some((*year, *month, *day))?
    } else {
        let parts = parts('/')?;
        let [day, month, year] = parts.as_slice() else { return None };
        let short = |part: &str| (1..=2).contains(&part.len());
        (short(day) && short(month) && year.len() == 4).then_some((*year, *month, *day))?
    };
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    Some(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}

/// `8.5` or `8,5` (or `9`): digits with at most one decimal point or comma.
fn score(cell: &str) -> Option<Number> {
    let point = cell.replacen(',', ".", 1);
    let (whole, fraction) = point.split_once('.').unwrap_or((&point, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(fraction)).then(|| point.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_or_day_first_with_slashes() {
        assert_eq!(date("1985-03-14").as_deref(), Some("1985-03-14"));
        assert_eq!(date("14/03/1985").as_deref(), Some("1985-03-14"));
        assert_eq!(date("4/3/1985").as_deref(), Some("1985-03-04"));
        for refused in ["03/14/1985", "31/02/2025", "14-03-1985", "1985/03/14", "14.03.1985", ""] {
            assert_eq!(date(refused), None, "{refused}");
        }
    }

    #[test]
    fn scores_take_a_decimal_comma() {
        assert_eq!(score("8,5"), Some(Number::from_f64(8.5).unwrap()));
        assert_eq!(score("8.25"), Some(Number::from_f64(8.25).unwrap()));
        assert_eq!(score("9").map(|n| n.as_f64()), Some(Some(9.0)));
        for refused in ["8,5,1", "1.234,5", "tám", "-1", ",5", "8,"] {
            assert_eq!(score(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_semicolon_file_with_a_byte_order_mark_reads_as_a_comma_file() {
        let semicolons = "\u{feff}national_id;full_name;date_of_birth;duration_days;outcome;score\r\n\
                          \r\n\
                          001085012345;Nguyễn Văn An;14/03/1985;20;good;8,5\r\n\r\n";
        let commas = "national_id,full_name,date_of_birth,duration_days,outcome,score\n\
                      001085012345,Nguyễn Văn An,1985-03-14,20,good,8.5\n";
        let (a, b) = (read(semicolons.as_bytes()).unwrap(), read(commas.as_bytes()).unwrap());
        assert_eq!((a.delimiter, b.delimiter), (b';', b','));
        assert_eq!(a.lines.len(), 1);
        assert_eq!((a.lines[0].number, b.lines[0].number), (3, 2));
        assert_eq!(a.lines[0].row.as_ref().unwrap(), b.lines[0].row.as_ref().unwrap());
        assert_eq!(a.lines[0].row.as_ref().unwrap()["score"], 8.5);
    }

    #[test]
    fn each_refused_cell_names_its_line_column_and_expected_format() {
        let file = "national_id,date_of_birth,duration_days\n\
                    001085012345,1985-03-14,20\n\
                    001085012345,14.03.1985,twenty\n\
                    001085012345,1985-03-14\n";
        let read = read(file.as_bytes()).unwrap();
        let refused = read.lines[1].row.as_ref().unwrap_err();
        assert_eq!(read.lines[1].number, 3);
        assert_eq!(refused[0].field, "date_of_birth");
        assert_eq!(refused[0].sentence, "column 2: expected YYYY-MM-DD or dd/mm/yyyy");
        assert_eq!(refused[1].sentence, "column 3: expected a whole number of days, such as 20");
        let short = read.lines[2].row.as_ref().unwrap_err();
        assert_eq!((read.lines[2].number, short[0].field.as_str()), (4, "columns"));
    }

    #[test]
    fn a_file_that_is_not_utf8_or_names_unknown_columns_is_refused_whole() {
        let latin1 = b"national_id,full_name\n001085012345,Nguy\xean\n";
        let refused = read(latin1).unwrap_err().to_string();
        assert!(refused.starts_with("line 2: the file is not UTF-8"), "{refused}");
        let unknown = read("national_id,diem\n".as_bytes()).unwrap_err().to_string();
        assert!(unknown.starts_with("line 1, column 2: unknown column `diem`"), "{unknown}");
    }
}
