//! The little layout the two documents need: the bundled fonts, lines of shaped text measured
//! before they are placed (so they can be centred, right-aligned or wrapped), filled rectangles
//! and a QR code. krilla writes the PDF; everything here is in points, origin top left.

use std::sync::LazyLock;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::PdfError;

/// A4, portrait, in points.
pub(crate) const A4_WIDTH: f32 = 595.28;
pub(crate) const A4_HEIGHT: f32 = 841.89;

/// Noto Sans, byte-exact from Debian's `fonts-noto-core` (see `fonts/README.md`).
static REGULAR_TTF: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");

/// One face: what krilla embeds, and what rustybuzz shapes with.
pub(crate) struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
    /// Made once: making a plan reads the font's feature tables, which costs more than
    /// shaping a line with it.
    plan: rustybuzz::ShapePlan,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Face> {
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let units_per_em = shaper.units_per_em() as f32;
        // Vietnamese is Latin script, left to right; digits and punctuation shape the same.
        let plan = rustybuzz::ShapePlan::new(
            &shaper,
            rustybuzz::Direction::LeftToRight,
            Some(rustybuzz::script::LATIN),
            None,
            &[],
        );
        Some(Face { font: Font::new(data.into(), 0)?, shaper, plan, units_per_em })
    }

    /// `text` shaped in one line at `size` points.
    pub(crate) fn shape(&self, text: &str, size: f32) -> Shaped<'_> {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.set_script(rustybuzz::script::LATIN);
        let output = rustybuzz::shape_with_plan(&self.shaper, &self.plan, buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let em = self.units_per_em;
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut advance = 0;
        for (index, (info, position)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            // A cluster ends where the next one starts (left to right: clusters only grow).
            let end = infos[index + 1..]
                .iter()
                .map(|next| next.cluster as usize)
                .find(|&next| next != start)
                .unwrap_or(text.len());
            advance += position.x_advance;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                position.x_advance as f32 / em,
                position.x_offset as f32 / em,
                position.y_offset as f32 / em,
                position.y_advance as f32 / em,
                start..end,
                None,
            ));
        }
        Shaped {
            face: self,
            text: text.to_owned(),
            glyphs,
            size,
            width: advance as f32 / em * size,
        }
    }

    /// The width of `text` at `size` points, from each character's advance without shaping:
    /// close enough to break lines (Noto Sans has a precomposed glyph for every Vietnamese
    /// letter, and kerning moves a line by a fraction of a point), and much cheaper.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let advance: u32 = text
            .chars()
            .filter_map(|character| self.shaper.glyph_index(character))
            .filter_map(|glyph| self.shaper.glyph_hor_advance(glyph))
            .map(u32::from)
            .sum();
        advance as f32 / self.units_per_em * size
    }
}

/// The regular and bold faces, loaded once per process.
pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts { regular: Face::load(REGULAR_TTF)?, bold: Face::load(BOLD_TTF)? })
});

/// The bundled fonts (an error only if the bundled files were damaged, which a test rules out).
pub(crate) fn fonts() -> Result<&'static Fonts, PdfError> {
    FONTS.as_ref().ok_or(PdfError::Font)
}

/// A line of text, shaped and measured, ready to draw.
pub(crate) struct Shaped<'a> {
    face: &'a Face,
    text: String,
    glyphs: Vec<KrillaGlyph>,
    size: f32,
    pub(crate) width: f32,
}

impl Shaped<'_> {
    /// Draws the line with its baseline's left end at (`x`, `y`), in `color`.
    pub(crate) fn draw(&self, surface: &mut Surface<'_>, x: f32, y: f32, color: rgb::Color) {
        surface.set_fill(Some(fill(color)));
        surface.draw_glyphs(
            Point::from_xy(x, y),
            &self.glyphs,
            self.face.font.clone(),
            &self.text,
            self.size,
            false,
        );
    }
}

/// Where a line sits against the `x` it is drawn at.
#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Centre,
    Right,
}

/// Text of one face, size and colour.
#[derive(Clone, Copy)]
pub(crate) struct Style {
    pub(crate) face: &'static Face,
    pub(crate) size: f32,
    pub(crate) color: rgb::Color,
}

impl Style {
    /// Draws `text` on one line with its baseline at `y`, aligned on `x`; returns its width.
    pub(crate) fn line(
        &self,
        surface: &mut Surface<'_>,
        x: f32,
        y: f32,
        align: Align,
        text: &str,
    ) -> f32 {
        let shaped = self.face.shape(text, self.size);
        let left = match align {
            Align::Left => x,
            Align::Centre => x - shaped.width / 2.0,
            Align::Right => x - shaped.width,
        };
        shaped.draw(surface, left, y, self.color);
        shaped.width
    }

    /// `text` broken into lines no wider than `width`, at spaces (a word wider than the whole
    /// width, as a long key id in a narrow column, is broken between characters). Each word is
    /// measured once and the line's width summed: kerning does not cross a space.
    pub(crate) fn wrap(&self, text: &str, width: f32) -> Vec<String> {
        let space = self.face.width(" ", self.size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        for word in text.split_whitespace() {
            let wide = self.face.width(word, self.size);
            let needed = if line.is_empty() { wide } else { used + space + wide };
            if needed <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                used = needed;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            if wide <= width {
                line.push_str(word);
                used = wide;
                continue;
            }
            let mut buffer = [0; 4];
            for character in word.chars() {
                let wide = self.face.width(character.encode_utf8(&mut buffer), self.size);
                if used + wide > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    used = 0.0;
                }
                line.push(character);
                used += wide;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Draws `text` wrapped to `width`, first baseline at `y`; returns the baseline after the
    /// last line.
    pub(crate) fn paragraph(
        &self,
        surface: &mut Surface<'_>,
        x: f32,
        y: f32,
        width: f32,
        align: Align,
        text: &str,
    ) -> f32 {
        let mut y = y;
        let anchor = match align {
            Align::Left => x,
            Align::Centre => x + width / 2.0,
            Align::Right => x + width,
        };
        for line in self.wrap(text, width) {
            self.line(surface, anchor, y, align, &line);
            y += self.leading();
        }
        y
    }

    /// `text` wrapped to `width` in at most `lines` lines, the last ending in "…" if cut.
    pub(crate) fn clipped(&self, text: &str, width: f32, lines: usize) -> String {
        let mut wrapped = self.wrap(text, width);
        if wrapped.len() > lines {
            wrapped.truncate(lines);
            if let Some(last) = wrapped.last_mut() {
                while !last.is_empty() && self.face.width(&format!("{last} …"), self.size) > width
                {
                    last.pop();
                }
                last.push_str(" …");
            }
        }
        wrapped.join(" ")
    }

    /// The distance between two baselines.
    pub(crate) fn leading(&self) -> f32 {
        self.size * 1.3
    }
}

/// An opaque fill of `color`.
pub(crate) fn fill(color: rgb::Color) -> Fill {
    Fill { paint: color.into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

/// Fills the rectangle at (`x`, `y`), `width` by `height`, with `color`.
pub(crate) fn rectangle(
    surface: &mut Surface<'_>,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    color: rgb::Color,
) {
    let Some(rect) = Rect::from_xywh(x, y, width, height) else { return };
    let mut path = PathBuilder::new();
    path.push_rect(rect);
    if let Some(path) = path.finish() {
        surface.set_fill(Some(fill(color)));
        surface.draw_path(&path);
    }
}

/// Draws a rectangle's outline, `weight` points thick, inside its bounds.
pub(crate) fn frame(
    surface: &mut Surface<'_>,
    (x, y, width, height): (f32, f32, f32, f32),
    weight: f32,
    color: rgb::Color,
) {
    rectangle(surface, x, y, width, weight, color);
    rectangle(surface, x, y + height - weight, width, weight, color);
    rectangle(surface, x, y, weight, height, color);
    rectangle(surface, x + width - weight, y, weight, height, color);
}

/// Draws the QR code of `text` with its top left corner at (`x`, `y`), `side` points square
/// (without the quiet zone: keep 4 modules of white around it). The dark modules are filled
/// rectangles, all in one path.
pub(crate) fn qr_code(
    surface: &mut Surface<'_>,
    text: &str,
    x: f32,
    y: f32,
    side: f32,
) -> Result<(), PdfError> {
    // Level M survives a crease or a stain on about 15 % of the code.
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|_| PdfError::QrCode)?;
    let modules = code.width();
    let module = side / modules as f32;
    // Each run of dark modules in a row is one rectangle (a quarter of the squares, and no
    // seams inside a run), a hair taller than a module so rows leave no light seam between
    // them when the page is rasterized.
    let seam = module * 0.02;
    let colors = code.to_colors();
    let mut path = PathBuilder::new();
    for (row, line) in colors.chunks(modules).enumerate() {
        let mut column = 0;
        while column < modules {
            if line.get(column) != Some(&qrcode::Color::Dark) {
                column += 1;
                continue;
            }
            let start = column;
            while line.get(column) == Some(&qrcode::Color::Dark) {
                column += 1;
            }
            let run = Rect::from_xywh(
                x + start as f32 * module,
                y + row as f32 * module,
                (column - start) as f32 * module + seam,
                module + seam,
            );
            if let Some(run) = run {
                path.push_rect(run);
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.set_fill(Some(fill(rgb::Color::black())));
        surface.draw_path(&path);
    }
    Ok(())
}

/// Draws `text` in `style`, centred on (`x`, `y`) and turned by `degrees` (a stamp across the
/// page).
pub(crate) fn stamp(
    surface: &mut Surface<'_>,
    style: Style,
    x: f32,
    y: f32,
    degrees: f32,
    text: &str,
) {
    surface.push_transform(&Transform::from_rotate_at(degrees, x, y));
    style.line(surface, x, y + style.size * 0.35, Align::Centre, text);
    surface.pop();
}

/// Colours used in both documents.
pub(crate) mod colors {
    use krilla::color::rgb::Color;

    /// Body text: near black (contrast 16:1 on white).
    pub(crate) fn ink() -> Color {
        Color::new(26, 26, 26)
    }
    /// Secondary text, English beside Vietnamese: dark grey (contrast 7:1 on white).
    pub(crate) fn muted() -> Color {
        Color::new(85, 85, 85)
    }
    /// Rules and the certificate's frame: the national red.
    pub(crate) fn red() -> Color {
        Color::new(176, 24, 32)
    }
    /// A table's header row and alternating rows.
    pub(crate) fn shade() -> Color {
        Color::new(236, 236, 236)
    }
    /// Hairlines.
    pub(crate) fn rule() -> Color {
        Color::new(180, 180, 180)
    }
}
