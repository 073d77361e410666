//! QR codes drawn as inline SVG: one path of unit squares, so a page needs no image file, no
//! script and nothing from elsewhere (the pages' content security policy allows none).

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// Modules of blank margin around the code, as the QR specification asks.
const QUIET_ZONE: usize = 4;

/// `text` as an SVG QR code (error correction M), named `label` for screen readers; `None`
/// when the text is too long for a QR code.
pub(crate) fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (at, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (at % width + QUIET_ZONE, at / width + QUIET_ZONE);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    let label: String = label
        .chars()
        .map(|c| match c {
            '"' => "&quot;".to_owned(),
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            other => other.to_string(),
        })
        .collect();
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" \
         height=\"240\" role=\"img\" aria-label=\"{label}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_a_labelled_svg_of_dark_modules() {
        let drawn = svg("https://hocba.test/s/AAAA", "Mã QR \"của\" liên kết").unwrap();
        assert!(drawn.starts_with("<svg ") && drawn.ends_with("</svg>"), "{drawn}");
        assert!(drawn.contains("aria-label=\"Mã QR &quot;của&quot; liên kết\""), "{drawn}");
        assert!(
            drawn.contains("<path d=\"M4 4h1v1h-1z"),
            "the finder pattern starts at the margin"
        );
        assert!(svg(&"x".repeat(8000), "too long").is_none());
    }
}
