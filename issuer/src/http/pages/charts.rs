//! Charts drawn as SVG on the server: no chart service, no script, and they print.

use std::fmt::Write as _;

use super::html::escape;

const WIDTH: f64 = 600.0;

/// Horizontal bars, one row per (label, value), longest bar the largest value.
#[must_use]
pub fn bars(rows: &[(String, u64)], colour: &str) -> String {
    const ROW: f64 = 28.0;
    const LABEL: f64 = 170.0;
    const VALUE: f64 = 70.0;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let height = ROW * rows.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" font-size=\"14\">"
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = i as f64 * ROW;
        let length = (WIDTH - LABEL - VALUE) * (*value as f64) / max;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{length:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{value}</text>",
            LABEL - 8.0,
            y + ROW * 0.65,
            escape(label),
            y + 4.0,
            ROW - 8.0,
            LABEL + length + 6.0,
            y + ROW * 0.65,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One column per day: all entries, and the denials among them in red over the same scale.
/// `days` are (`YYYY-MM-DD`, entries, denials), oldest first.
#[must_use]
pub fn days(days: &[(String, u64, u64)]) -> String {
    const HEIGHT: f64 = 220.0;
    const BOTTOM: f64 = 24.0;
    const LEFT: f64 = 52.0;
    let max = days.iter().map(|(_, e, _)| *e).max().unwrap_or(0).max(1) as f64;
    let step = (WIDTH - LEFT) / days.len().max(1) as f64;
    let plot = HEIGHT - BOTTOM - 8.0;
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" font-size=\"12\">\
         <text x=\"{:.1}\" y=\"14\" text-anchor=\"end\">{max}</text>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>\
         <line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{WIDTH}\" y2=\"{:.1}\" stroke=\"#555\"/>",
        LEFT - 6.0,
        LEFT - 6.0,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
    );
    for (i, (day, entries, denials)) in days.iter().enumerate() {
        let x = LEFT + i as f64 * step;
        let bar = (step - 2.0).max(1.0);
        let all = plot * (*entries as f64) / max;
        let denied = plot * (*denials as f64) / max;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{all:.1}\" fill=\"#9db4d6\">\
             <title>{} {entries} / {denials}</title></rect>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{denied:.1}\" fill=\"#c01f1f\"/>",
            HEIGHT - BOTTOM - all,
            escape(day),
            HEIGHT - BOTTOM - denied,
        );
        if i % 5 == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + bar / 2.0,
                HEIGHT - 6.0,
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A share against its target: the bar filled to `share`, a mark at `target` (both 0–1).
#[must_use]
pub fn progress(share: f64, target: f64) -> String {
    const W: f64 = 300.0;
    let fill = W * share.clamp(0.0, 1.0);
    let mark = W * target.clamp(0.0, 1.0);
    let colour = if share >= target {
        "#1b7f3b"
    } else {
        "#a66300"
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} 22\" width=\"{W}\" \
         height=\"22\" role=\"img\" font-size=\"12\">\
         <rect width=\"{W}\" height=\"16\" y=\"3\" fill=\"#e6e6e6\"/>\
         <rect width=\"{fill:.1}\" height=\"16\" y=\"3\" fill=\"{colour}\"/>\
         <line x1=\"{mark:.1}\" x2=\"{mark:.1}\" y1=\"0\" y2=\"22\" stroke=\"#111\" stroke-width=\"2\"/>\
         </svg>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_bar_is_the_largest_value_and_labels_are_escaped() {
        let svg = bars(&[("<美团>".into(), 10), ("饿了么".into(), 5)], "#333");
        assert!(svg.contains("&lt;美团&gt;"));
        assert!(svg.contains("width=\"360.0\""), "{svg}");
        assert!(svg.contains("width=\"180.0\""), "{svg}");
    }

    #[test]
    fn empty_figures_draw_an_empty_chart_rather_than_dividing_by_zero() {
        assert!(!bars(&[], "#333").contains("NaN"));
        let svg = days(&[("2026-11-01".into(), 0, 0)]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
