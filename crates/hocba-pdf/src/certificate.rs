//! The printed certificate: one A4 page, framed, with the facts a reader needs, the signature
//! facts a verifier checks, and a QR code of the short verification link.

use krilla::Document;
use krilla::color::rgb::Color;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use crate::layout::{self, A4_HEIGHT, A4_WIDTH, Align, Style, colors, fonts};
use crate::{CertificateSheet, PdfError, day, labels, moment};

/// Left and right edges of the text.
const LEFT: f32 = 64.0;
const RIGHT: f32 = A4_WIDTH - 64.0;
const CENTRE: f32 = A4_WIDTH / 2.0;
/// Where the values of the facts table start.
const VALUES: f32 = 232.0;
/// The QR code's side, in points (at 150 dpi a module is about 7 pixels).
const QR_SIDE: f32 = 112.0;

/// The certificate as a one-page PDF.
pub fn certificate(sheet: &CertificateSheet) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts()?;
    let regular = |size: f32, color: Color| Style { face: &fonts.regular, size, color };
    let bold = |size: f32, color: Color| Style { face: &fonts.bold, size, color };
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Giấy chứng nhận / Certificate {}", sheet.number))
            .language("vi".to_owned())
            .creator("Hocba".to_owned()),
    );
    let settings =
        PageSettings::from_wh(A4_WIDTH, A4_HEIGHT).ok_or(PdfError::Write("page size".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let s = &mut surface;

    if sheet.revocation.is_some() {
        // Under everything else, so the text over it stays readable.
        let stamp = bold(50.0, Color::new(248, 215, 215));
        layout::stamp(s, stamp, CENTRE, A4_HEIGHT / 2.0, -35.0, "ĐÃ THU HỒI · REVOKED");
    }
    layout::frame(s, (24.0, 24.0, A4_WIDTH - 48.0, A4_HEIGHT - 48.0), 3.0, colors::red());
    layout::frame(s, (31.0, 31.0, A4_WIDTH - 62.0, A4_HEIGHT - 62.0), 0.8, colors::red());

    let mut y = 72.0;
    bold(11.0, colors::ink()).line(
        s,
        CENTRE,
        y,
        Align::Centre,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    y += 15.0;
    bold(11.0, colors::ink()).line(s, CENTRE, y, Align::Centre, "Độc lập - Tự do - Hạnh phúc");
    y += 13.0;
    regular(8.5, colors::muted()).line(
        s,
        CENTRE,
        y,
        Align::Centre,
        "Socialist Republic of Viet Nam · Independence - Freedom - Happiness",
    );

    y += 24.0;
    if let Some(revocation) = &sheet.revocation {
        layout::rectangle(s, LEFT, y, RIGHT - LEFT, 46.0, colors::red());
        bold(17.0, Color::white()).line(s, CENTRE, y + 21.0, Align::Centre, "ĐÃ THU HỒI / REVOKED");
        let (vi, en) = labels::reason(revocation.reason);
        let mut why = format!("Lý do / Reason: {vi} / {en} · {}", moment(revocation.revoked_at));
        if let Some(note) = &revocation.note {
            why.push_str(&format!(" · {note}"));
        }
        let small = regular(8.5, Color::white());
        let line = small.clipped(&why, RIGHT - LEFT - 16.0, 1);
        small.line(s, CENTRE, y + 37.0, Align::Centre, &line);
        y += 56.0;
    } else {
        y += 10.0;
    }

    y += 24.0;
    bold(30.0, colors::red()).line(s, CENTRE, y, Align::Centre, "GIẤY CHỨNG NHẬN");
    y += 24.0;
    regular(15.0, colors::muted()).line(s, CENTRE, y, Align::Centre, "CERTIFICATE");
    y += 18.0;
    regular(9.0, colors::muted()).line(
        s,
        CENTRE,
        y,
        Align::Centre,
        "Hệ thống hồ sơ đào tạo quốc gia Hocba · Hocba national training registry",
    );

    y += 30.0;
    regular(11.0, colors::ink()).line(
        s,
        CENTRE,
        y,
        Align::Centre,
        "Chứng nhận ông/bà · This certifies that",
    );
    y += 32.0;
    // A long name is set smaller rather than past the frame, and wrapped if it still does not fit.
    let name = bold(24.0, colors::ink());
    let natural = name.face.width(&sheet.holder_name, name.size);
    let name = Style { size: (name.size * (RIGHT - LEFT) / natural).clamp(14.0, 24.0), ..name };
    let holder = name.clipped(&sheet.holder_name, RIGHT - LEFT, 2);
    y = name.paragraph(s, LEFT, y, RIGHT - LEFT, Align::Centre, &holder);
    y -= name.leading() - 28.0;
    regular(11.0, colors::ink()).line(
        s,
        CENTRE,
        y,
        Align::Centre,
        "đã hoàn thành chương trình · has completed the programme",
    );
    y += 26.0;
    // Titles are cut at a few lines so the foot always fits on the page; the code, the number
    // and the QR code's link say exactly which programme it is.
    let title = bold(15.0, colors::ink());
    let text = title.clipped(&sheet.program_title, RIGHT - LEFT, 3);
    y = title.paragraph(s, LEFT, y, RIGHT - LEFT, Align::Centre, &text);
    if let Some(english) = &sheet.program_title_en {
        let title = regular(11.0, colors::muted());
        let text = title.clipped(english, RIGHT - LEFT, 2);
        y = title.paragraph(s, LEFT, y, RIGHT - LEFT, Align::Centre, &text);
    }

    y += 8.0;
    let (outcome_vi, outcome_en) = labels::outcome(sheet.outcome);
    let mut result = format!("{outcome_vi} / {outcome_en}");
    if let Some(score) = &sheet.score {
        result.push_str(&format!(" · điểm / score {score}/10"));
    }
    let facts: [(&str, &str, String); 7] = [
        ("Mã chương trình", "Programme code", sheet.program_code.clone()),
        ("Cơ sở đào tạo", "Institution", sheet.institution.clone()),
        ("Công nhận", "Accreditation", sheet.accreditation.words()),
        (
            "Thời gian học",
            "Dates of study",
            format!("{} – {}", day(sheet.started_on), day(sheet.ended_on)),
        ),
        ("Số ngày đào tạo", "Training days", sheet.training_days.to_string()),
        ("Xếp loại", "Result", result),
        ("Số hiệu", "Certificate number", sheet.number.clone()),
    ];
    let label = regular(9.5, colors::ink());
    let label_en = regular(8.0, colors::muted());
    let value = bold(10.5, colors::ink());
    for (vi, en, text) in facts {
        layout::rectangle(s, LEFT, y - 2.0, RIGHT - LEFT, 0.5, colors::rule());
        let top = y + 13.0;
        label.line(s, LEFT, top, Align::Left, vi);
        label_en.line(s, LEFT, top + 11.0, Align::Left, en);
        let text = value.clipped(&text, RIGHT - VALUES, 2);
        let after = value.paragraph(s, VALUES, top, RIGHT - VALUES, Align::Left, &text);
        y = (top + 18.0).max(after) + 2.0;
    }
    layout::rectangle(s, LEFT, y - 2.0, RIGHT - LEFT, 0.5, colors::rule());

    // The foot: the QR code and its link on the left, the signature facts on the right.
    // Low on the page, or just under the facts when a revocation banner took room above.
    let foot = (A4_HEIGHT - 64.0 - QR_SIDE - 30.0).max(y + 12.0);
    // When long texts and a revocation banner leave less room, the code shrinks (at 80 points a
    // module is still 5 pixels at 150 dpi) rather than leave the frame.
    let qr_side = (A4_HEIGHT - 48.0 - foot - 30.0).clamp(80.0, QR_SIDE);
    layout::qr_code(s, &sheet.verification_url, LEFT, foot, qr_side)?;
    let link = regular(8.0, colors::ink());
    let mut link_y = foot + qr_side + 12.0;
    for line in link.wrap(&sheet.verification_url, 200.0) {
        link.line(s, LEFT, link_y, Align::Left, &line);
        link_y += link.leading();
    }
    regular(7.5, colors::muted()).line(
        s,
        LEFT,
        link_y,
        Align::Left,
        "Quét để kiểm tra · Scan to verify",
    );

    let column = LEFT + qr_side + 24.0;
    let width = RIGHT - column;
    let mut y = foot + 8.0;
    bold(10.0, colors::ink()).line(s, column, y, Align::Left, "Chữ ký số · Digital signature");
    y += 15.0;
    let small = regular(8.0, colors::ink());
    let signature = &sheet.signature;
    y = small.paragraph(
        s,
        column,
        y,
        width,
        Align::Left,
        &format!("Khóa / Key: {}", signature.key_id),
    );
    y = small.paragraph(
        s,
        column,
        y,
        width,
        Align::Left,
        &format!("Bằng chứng / Proofs: {}", signature.proof_types.join(", ")),
    );
    y = small.paragraph(
        s,
        column,
        y,
        width,
        Align::Left,
        &format!("Ngày cấp / Issued: {}", moment(signature.issued_at)),
    );
    y += 6.0;
    regular(7.5, colors::muted()).paragraph(
        s,
        column,
        y,
        width,
        Align::Left,
        "Bản in này là bản sao để đọc; giá trị pháp lý là chứng chỉ số đã ký (W3C Verifiable \
         Credential) lưu tại Hocba. · This print is a copy for people; the signed credential \
         kept by the registry is what counts.",
    );

    surface.finish();
    page.finish();
    crate::finish(document)
}
