//! The printed transcript: an official's whole record as a table across as many A4 pages as it
//! needs (the header row repeated on each), then the training days it adds up to and the
//! signature facts, with "Trang 1/3 · Page 1 of 3" at the foot of every page.
//!
//! It is laid out in two passes: the first places every line and rectangle on its page (so the
//! number of pages is known), the second draws them with the page numbers.

use krilla::Document;
use krilla::color::rgb::Color;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::surface::Surface;

use crate::layout::{self, A4_HEIGHT, A4_WIDTH, Align, Style, colors, fonts};
use crate::{PdfError, TranscriptRow, TranscriptSheet, day, labels, moment};

const LEFT: f32 = 40.0;
const RIGHT: f32 = A4_WIDTH - 40.0;
const TOP: f32 = 48.0;
/// Where the content of a page must end; the page number sits below.
const BOTTOM: f32 = A4_HEIGHT - 56.0;
/// Space inside a cell.
const PAD: f32 = 3.0;

/// The table's columns: Vietnamese and English heading, width in points (515 in all).
const COLUMNS: [(&str, &str, f32); 7] = [
    ("TT", "No.", 20.0),
    ("Chương trình", "Programme", 170.0),
    ("Nhóm", "Category", 52.0),
    ("Thời gian", "Dates", 62.0),
    ("Ngày", "Days", 28.0),
    ("Xếp loại", "Result", 48.0),
    ("Chứng chỉ", "Certificate", 135.28),
];

/// Something placed on a page.
enum Item {
    Text { style: Style, x: f32, y: f32, align: Align, text: String },
    Fill { x: f32, y: f32, width: f32, height: f32, color: Color },
}

/// Pages being filled, top to bottom.
struct Pages {
    /// The pages filled.
    done: Vec<Vec<Item>>,
    /// The page being filled.
    page: Vec<Item>,
    y: f32,
}

impl Pages {
    fn text(&mut self, style: Style, x: f32, y: f32, align: Align, text: impl Into<String>) {
        self.page.push(Item::Text { style, x, y, align, text: text.into() });
    }

    fn fill(&mut self, x: f32, y: f32, width: f32, height: f32, color: Color) {
        self.page.push(Item::Fill { x, y, width, height, color });
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.page));
        self.y = TOP;
    }

    /// Starts a new page unless `height` more points fit on this one.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM {
            self.new_page();
            return false;
        }
        true
    }
}

/// The lines of one cell, each in its own style.
type Cell = Vec<(Style, String)>;

/// The transcript as a PDF.
pub fn transcript(sheet: &TranscriptSheet) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts()?;
    let regular = |size: f32, color: Color| Style { face: &fonts.regular, size, color };
    let bold = |size: f32, color: Color| Style { face: &fonts.bold, size, color };
    let mut pages = Pages { done: Vec::new(), page: Vec::new(), y: TOP };

    // The first page's title block.
    let p = &mut pages;
    p.y += 12.0;
    p.text(bold(16.0, colors::red()), LEFT, p.y, Align::Left, "BẢNG TỔNG HỢP QUÁ TRÌNH ĐÀO TẠO");
    p.y += 16.0;
    p.text(regular(11.0, colors::muted()), LEFT, p.y, Align::Left, "Training transcript");
    p.text(
        regular(8.5, colors::muted()),
        RIGHT,
        p.y,
        Align::Right,
        "Hệ thống hồ sơ đào tạo quốc gia Hocba · Hocba national training registry",
    );
    p.y += 8.0;
    p.fill(LEFT, p.y, RIGHT - LEFT, 1.5, colors::red());
    p.y += 20.0;
    let facts = [
        ("Họ và tên / Name", sheet.full_name.clone(), true),
        ("Mã hồ sơ / Record id", sheet.official_id.clone(), false),
        ("Lập lúc / Made at", moment(sheet.generated_at), false),
    ];
    for (label, value, strong) in facts {
        p.text(regular(9.0, colors::muted()), LEFT, p.y, Align::Left, label);
        let style = if strong { bold(12.0, colors::ink()) } else { regular(9.5, colors::ink()) };
        p.text(style, LEFT + 130.0, p.y, Align::Left, value);
        p.y += 16.0;
    }
    p.y += 8.0;

    // The table.
    let header = |p: &mut Pages| {
        p.fill(LEFT, p.y, RIGHT - LEFT, 26.0, colors::shade());
        let mut x = LEFT;
        for (vi, en, width) in COLUMNS {
            p.text(bold(8.0, colors::ink()), x + PAD, p.y + 11.0, Align::Left, vi);
            p.text(regular(7.0, colors::muted()), x + PAD, p.y + 21.0, Align::Left, en);
            x += width;
        }
        p.y += 26.0;
    };
    header(p);
    if sheet.rows.is_empty() {
        p.y += 14.0;
        p.text(
            regular(9.0, colors::ink()),
            LEFT + PAD,
            p.y,
            Align::Left,
            "Chưa có khóa đào tạo nào được ghi nhận · No training recorded yet",
        );
        p.y += 8.0;
    }
    for (index, row) in sheet.rows.iter().enumerate() {
        let cells = cells(row, index + 1, regular, bold);
        let height = cells
            .iter()
            .map(|cell| cell.iter().map(|(style, _)| style.leading()).sum::<f32>())
            .fold(0.0, f32::max)
            + 2.0 * PAD
            + 2.0;
        if !p.room_for(height) {
            header(p);
        }
        if index % 2 == 1 {
            p.fill(LEFT, p.y, RIGHT - LEFT, height, Color::new(247, 247, 247));
        }
        let mut x = LEFT;
        for ((_, _, width), cell) in COLUMNS.iter().zip(cells) {
            let mut y = p.y + PAD;
            for (style, text) in cell {
                y += style.leading();
                p.text(style, x + PAD, y - style.size * 0.3, Align::Left, text);
            }
            x += width;
        }
        p.y += height;
        p.fill(LEFT, p.y - 0.4, RIGHT - LEFT, 0.4, colors::rule());
    }

    // What it adds up to.
    let line = regular(9.0, colors::ink());
    let figures = |p: &mut Pages, title: &str, entries: Vec<(String, u32)>| {
        p.room_for(34.0 + 14.0 * entries.len() as f32);
        p.y += 24.0;
        p.text(bold(10.5, colors::ink()), LEFT, p.y, Align::Left, title.to_owned());
        p.y += 4.0;
        for (label, days) in entries {
            p.y += 14.0;
            p.text(line, LEFT + 12.0, p.y, Align::Left, label);
            p.text(bold(9.0, colors::ink()), LEFT + 250.0, p.y, Align::Right, days.to_string());
            p.fill(LEFT + 12.0, p.y + 3.5, 238.0, 0.3, colors::rule());
        }
    };
    let mut by_category: Vec<(String, u32)> =
        sheet.days_by_category.iter().map(|(code, days)| (code.clone(), *days)).collect();
    by_category.push(("Tổng cộng / Total".to_owned(), sheet.total_days));
    figures(
        p,
        "Số ngày đào tạo theo nhóm · Training days per category (còn hiệu lực / valid only)",
        by_category,
    );
    figures(
        p,
        "Số ngày đào tạo theo năm · Training days per year",
        sheet.days_by_year.iter().map(|(year, days)| (year.to_string(), *days)).collect(),
    );

    // Who signed the certificates.
    let small = regular(8.0, colors::ink());
    let mut signatures: Vec<String> = Vec::new();
    for (facts, count) in &sheet.signatures {
        signatures.push(format!(
            "{} — {} — {count} chứng chỉ / certificate(s)",
            facts.key_id,
            facts.proof_types.join(", ")
        ));
    }
    let width = RIGHT - LEFT - 12.0;
    let wrapped: Vec<String> = signatures.iter().flat_map(|text| small.wrap(text, width)).collect();
    p.room_for(40.0 + small.leading() * wrapped.len() as f32);
    p.y += 26.0;
    p.text(bold(10.5, colors::ink()), LEFT, p.y, Align::Left, "Chữ ký số · Digital signatures");
    p.y += 4.0;
    for text in wrapped {
        p.y += small.leading();
        p.text(small, LEFT + 12.0, p.y, Align::Left, text);
    }

    let note = regular(7.5, colors::muted());
    let text = format!(
        "Bảng này tổng hợp hồ sơ tại thời điểm lập, không phải là văn bản đã ký. Mỗi chứng chỉ \
         được ký số và kiểm tra được tại {base}{{số hiệu}}. · This transcript summarises the \
         record when it was made and is not itself signed; each certificate is signed and can \
         be verified at {base}{{number}}.",
        base = sheet.verification_base
    );
    let lines = note.wrap(&text, RIGHT - LEFT);
    p.room_for(20.0 + note.leading() * lines.len() as f32);
    p.y += 12.0;
    for text in lines {
        p.y += note.leading();
        p.text(note, LEFT, p.y, Align::Left, text);
    }

    pages.done.push(pages.page);
    draw(pages.done, sheet, regular(8.0, colors::muted()))
}

/// The cells of one row.
fn cells(
    row: &TranscriptRow,
    number: usize,
    regular: impl Fn(f32, Color) -> Style,
    bold: impl Fn(f32, Color) -> Style,
) -> Vec<Cell> {
    let text = regular(8.0, colors::ink());
    let muted = regular(7.0, colors::muted());
    let wrapped = |style: Style, value: &str, column: usize| -> Cell {
        let width = COLUMNS[column].2 - 2.0 * PAD;
        style.wrap(value, width).into_iter().map(|line| (style, line)).collect()
    };
    let mut programme = wrapped(text, &row.program_title, 1);
    programme.extend(wrapped(muted, &row.program_code, 1));
    if let Some(institution) = &row.institution {
        programme.extend(wrapped(muted, institution, 1));
    }
    let (outcome_vi, outcome_en) = labels::outcome(row.outcome);
    let (status_vi, status_en) = labels::status(row.status);
    let mut certificate: Cell = Vec::new();
    for (number, revocation) in &row.certificates {
        certificate.extend(wrapped(text, number, 6));
        if let Some(revocation) = revocation {
            let (vi, en) = labels::reason(revocation.reason);
            let when = day(hocba_domain::vietnam_day(revocation.revoked_at));
            certificate.extend(wrapped(
                muted,
                &format!("Thu hồi / revoked {when}: {vi} / {en}"),
                6,
            ));
        }
    }
    let status_style = match row.status {
        hocba_domain::CompletionStatus::Live => bold(7.5, colors::ink()),
        _ => bold(7.5, colors::red()),
    };
    certificate.extend(wrapped(status_style, &format!("{status_vi} / {status_en}"), 6));
    if let Some(successor) = &row.successor_certificate {
        certificate.extend(wrapped(muted, &format!("→ {successor}"), 6));
    }
    vec![
        vec![(text, number.to_string())],
        programme,
        wrapped(text, &row.category, 2),
        vec![(text, format!("{} –", day(row.started_on))), (text, day(row.ended_on))],
        vec![(text, row.training_days.to_string())],
        vec![(text, outcome_vi.to_owned()), (muted, outcome_en.to_owned())],
        certificate,
    ]
}

/// Draws the placed items, with the page numbers and the running head.
fn draw(pages: Vec<Vec<Item>>, sheet: &TranscriptSheet, foot: Style) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title("Bảng tổng hợp quá trình đào tạo / Training transcript".to_owned())
            .language("vi".to_owned())
            .creator("Hocba".to_owned()),
    );
    let count = pages.len();
    for (index, items) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(A4_WIDTH, A4_HEIGHT)
            .ok_or(PdfError::Write("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for item in items {
            place(&mut surface, item);
        }
        let number = index + 1;
        let baseline = A4_HEIGHT - 30.0;
        layout::rectangle(&mut surface, LEFT, baseline - 12.0, RIGHT - LEFT, 0.4, colors::rule());
        foot.line(&mut surface, LEFT, baseline, Align::Left, &sheet.full_name);
        foot.line(
            &mut surface,
            RIGHT,
            baseline,
            Align::Right,
            &format!("Trang {number}/{count} · Page {number} of {count}"),
        );
        surface.finish();
        page.finish();
    }
    crate::finish(document)
}

fn place(surface: &mut Surface<'_>, item: Item) {
    match item {
        Item::Text { style, x, y, align, text } => {
            style.line(surface, x, y, align, &text);
        }
        Item::Fill { x, y, width, height, color } => {
            layout::rectangle(surface, x, y, width, height, color)
        }
    }
}
