//! Horizontal bar charts of shares (0–100 %), drawn on the server as SVG: the geometry only.
//!
//! A chart is a list of bars, one a line, each a share of officials with its label; this module
//! turns them into positions and widths (the scale), the axis's ticks and the texts printed
//! beside the bars, and `templates/chart.html` draws them. Nothing here reads a request or a
//! database, so the drawing is tested by unit tests.
//!
//! Colour never carries meaning alone: every bar has its percentage written beside it, and a
//! suppressed cell is drawn as a dashed outline labelled as suppressed, never as an empty bar
//! (which would read as 0 %).

/// Width of the whole drawing, in SVG units (pixels at 100 %).
pub(crate) const WIDTH: u32 = LABELS + PLOT + VALUES;
/// The column of labels, left of the bars.
pub(crate) const LABELS: u32 = 230;
/// The span from 0 % to 100 %.
pub(crate) const PLOT: u32 = 320;
/// Room right of the bars for the figures.
const VALUES: u32 = 110;
/// Height of one bar's line (two lines of label: Vietnamese, then English).
pub(crate) const ROW: u32 = 40;
/// The bar's thickness within its line.
pub(crate) const BAR: u32 = 22;
/// Room above the first bar for the axis's tick labels.
pub(crate) const TOP: u32 = 26;
/// Room below the last bar.
const BOTTOM: u32 = 6;

/// What a bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measure {
    /// A share from 0 to 1: `part` of `whole` officials.
    Share { part: u64, whole: u64 },
    /// Hidden by the small-cell rule: not zero, not known.
    Suppressed,
    /// Nobody in the group, so no share.
    Nobody,
}

impl Measure {
    /// The measure of `part` out of `whole`, either suppressed (`None`).
    pub fn of(part: Option<u64>, whole: Option<u64>) -> Measure {
        match (part, whole) {
            (_, Some(0)) => Measure::Nobody,
            (Some(part), Some(whole)) => Measure::Share { part, whole },
            _ => Measure::Suppressed,
        }
    }

    /// The share, 0–1, when there is one.
    pub fn share(self) -> Option<f64> {
        match self {
            Measure::Share { part, whole } if whole > 0 => {
                Some((part as f64 / whole as f64).clamp(0.0, 1.0))
            }
            _ => None,
        }
    }
}

/// One bar, placed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar<L> {
    /// What the bar is about; the template writes it.
    pub label: L,
    pub measure: Measure,
    /// Top of the bar's line.
    pub y: u32,
    /// Length of the bar (0 for none; a share above 0 is at least 1 unit, so it shows).
    pub width: u32,
    /// The percentage as printed (`62,5 %`), empty when there is none.
    pub percent: String,
}

impl<L> Bar<L> {
    /// Vertical centre of the bar's line, where its texts sit.
    pub fn middle(&self) -> u32 {
        self.y + ROW / 2
    }

    /// Top of the bar's rectangle.
    pub fn bar_top(&self) -> u32 {
        self.y + (ROW - BAR) / 2
    }

    /// Baseline of the label's first (Vietnamese) line.
    pub fn label_first(&self) -> u32 {
        self.y + ROW / 2 - 2
    }

    /// Baseline of the label's second (English) line.
    pub fn label_second(&self) -> u32 {
        self.y + ROW / 2 + 13
    }

    /// Where the figure beside the bar starts.
    pub fn figure_x(&self) -> u32 {
        LABELS + self.width + 6
    }

    /// Whether the measure is hidden by the small-cell rule.
    pub fn is_suppressed(&self) -> bool {
        self.measure == Measure::Suppressed
    }

    /// Whether nobody is counted.
    pub fn is_nobody(&self) -> bool {
        self.measure == Measure::Nobody
    }
}

/// A line of the axis: its position and its label (`0 %`, `25 %` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tick {
    pub x: u32,
    pub text: String,
}

/// A chart ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart<L> {
    /// Unique in the page: the ids of its title and description derive from it.
    pub id: String,
    pub bars: Vec<Bar<L>>,
    pub ticks: Vec<Tick>,
    pub height: u32,
}

impl<L> Chart<L> {
    /// Lays out `bars` (label, measure), top to bottom in their order.
    pub fn new(id: impl Into<String>, bars: impl IntoIterator<Item = (L, Measure)>) -> Chart<L> {
        let bars: Vec<Bar<L>> = bars
            .into_iter()
            .zip((0u32..).map(|index| TOP + index * ROW))
            .map(|((label, measure), y)| {
                let share = measure.share();
                Bar {
                    label,
                    measure,
                    y,
                    width: share.map_or(0, length),
                    percent: share.map(percent).unwrap_or_default(),
                }
            })
            .collect();
        let rows = u32::try_from(bars.len()).unwrap_or(u32::MAX);
        Chart { id: id.into(), bars, ticks: ticks(), height: TOP + rows * ROW + BOTTOM }
    }

    pub fn width(&self) -> u32 {
        WIDTH
    }

    /// The left edge of the bars (the 0 % line).
    pub fn origin(&self) -> u32 {
        LABELS
    }

    /// The full length of a bar (100 %), drawn for a suppressed cell's outline.
    pub fn plot(&self) -> u32 {
        PLOT
    }

    /// The baseline of the tick labels.
    pub fn tick_baseline(&self) -> u32 {
        TOP - 10
    }

    /// The top of the grid lines.
    pub fn grid_top(&self) -> u32 {
        TOP - 6
    }
}

/// The length of a bar for `share` (0–1): proportional, rounded, and at least 1 unit for any
/// share above 0, so that a small share is not drawn as none.
pub(crate) fn length(share: f64) -> u32 {
    let share = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
    let scaled = (share * f64::from(PLOT)).round() as u32;
    if share > 0.0 { scaled.max(1) } else { 0 }
}

/// `share` (0–1) as Vietnamese writes a percentage: one decimal at most, a decimal comma, a
/// space before the sign (`62,5 %`, `100 %`, `0 %`). A share that is not 0 or 1 never prints
/// as either (`0,1 %` at least, `99,9 %` at most), so a figure never claims "all" or "none"
/// when it is not.
pub(crate) fn percent(share: f64) -> String {
    let tenths = (share.clamp(0.0, 1.0) * 1000.0).round() as u32;
    let tenths = match tenths {
        0 if share > 0.0 => 1,
        1000 if share < 1.0 => 999,
        tenths => tenths,
    };
    match tenths % 10 {
        0 => format!("{} %", tenths / 10),
        rest => format!("{},{rest} %", tenths / 10),
    }
}

/// The axis: 0, 25, 50, 75 and 100 %.
fn ticks() -> Vec<Tick> {
    (0..=4u32)
        .map(|quarter| Tick { x: LABELS + PLOT * quarter / 4, text: format!("{} %", quarter * 25) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_proportional_and_a_small_share_still_shows() {
        assert_eq!(length(0.0), 0);
        assert_eq!(length(1.0), PLOT);
        assert_eq!(length(0.5), PLOT / 2);
        assert_eq!(length(0.25), PLOT / 4);
        assert_eq!(length(0.0001), 1, "a share above 0 is never drawn as nothing");
        assert_eq!(length(1.5), PLOT, "clamped to the axis");
        assert_eq!(length(-0.2), 0);
        assert_eq!(length(f64::NAN), 0);
    }

    #[test]
    fn percentages_are_written_the_vietnamese_way_and_never_round_to_all_or_none() {
        assert_eq!(percent(0.625), "62,5 %");
        assert_eq!(percent(0.5), "50 %");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(2.0 / 3.0), "66,7 %");
        assert_eq!(percent(0.0001), "0,1 %");
        assert_eq!(percent(0.9999), "99,9 %");
    }

    #[test]
    fn a_suppressed_cell_is_neither_zero_nor_nobody() {
        assert_eq!(Measure::of(None, Some(12)), Measure::Suppressed);
        assert_eq!(Measure::of(Some(3), None), Measure::Suppressed);
        assert_eq!(Measure::of(None, None), Measure::Suppressed);
        assert_eq!(Measure::of(Some(0), Some(0)), Measure::Nobody);
        assert_eq!(Measure::of(None, Some(0)), Measure::Nobody);
        assert_eq!(Measure::of(Some(0), Some(7)).share(), Some(0.0));
        assert_eq!(Measure::Suppressed.share(), None);
        let chart =
            Chart::new("c", [("s", Measure::Suppressed), ("z", Measure::of(Some(0), Some(7)))]);
        let (suppressed, zero) = (&chart.bars[0], &chart.bars[1]);
        assert!(suppressed.is_suppressed() && !zero.is_suppressed());
        assert_eq!((suppressed.width, suppressed.percent.as_str()), (0, ""));
        assert_eq!((zero.width, zero.percent.as_str()), (0, "0 %"));
    }

    #[test]
    fn bars_stack_one_a_line_below_the_axis() {
        let chart = Chart::new(
            "std",
            [
                ("a", Measure::of(Some(5), Some(10))),
                ("b", Measure::of(Some(10), Some(10))),
                ("c", Measure::Nobody),
            ],
        );
        let ys: Vec<u32> = chart.bars.iter().map(|bar| bar.y).collect();
        assert_eq!(ys, [TOP, TOP + ROW, TOP + 2 * ROW]);
        assert_eq!(chart.height, TOP + 3 * ROW + BOTTOM);
        assert_eq!(chart.bars[0].width, PLOT / 2);
        assert_eq!(chart.bars[1].figure_x(), LABELS + PLOT + 6);
        assert!(chart.bars[1].figure_x() + 60 <= WIDTH, "the figure of a full bar fits");
        assert!(chart.bars[2].is_nobody());
        for bar in &chart.bars {
            assert!(bar.bar_top() > bar.y && bar.bar_top() + BAR < bar.y + ROW);
            assert!(bar.label_second() < bar.y + ROW);
        }
    }

    #[test]
    fn the_axis_has_five_ticks_from_the_origin_to_the_full_length() {
        let chart: Chart<&str> = Chart::new("empty", []);
        let ticks: Vec<(u32, &str)> =
            chart.ticks.iter().map(|tick| (tick.x, tick.text.as_str())).collect();
        assert_eq!(
            ticks,
            [
                (LABELS, "0 %"),
                (LABELS + PLOT / 4, "25 %"),
                (LABELS + PLOT / 2, "50 %"),
                (LABELS + 3 * PLOT / 4, "75 %"),
                (LABELS + PLOT, "100 %")
            ]
        );
        assert_eq!(chart.height, TOP + BOTTOM);
    }
}
