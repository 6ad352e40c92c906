//! Charts drawn as SVG on the server: no chart service, no script, and they print.
//!
//! SVG elements are written `rect {}` rather than `rect;`: inside `<svg>` a browser's parser
//! does not know void elements, so an element left open would swallow what follows it.

use maud::{Markup, html};

const WIDTH: f64 = 600.0;

/// A coordinate as the drawings write it: to a tenth of a unit.
#[must_use]
pub fn coord(v: f64) -> String {
    format!("{v:.1}")
}

/// Horizontal bars, one row per (label, value), longest bar the largest value.
#[must_use]
pub fn bars(rows: &[(String, u64)], colour: &str) -> Markup {
    const ROW: f64 = 28.0;
    const LABEL: f64 = 170.0;
    const VALUE: f64 = 70.0;
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let height = ROW * rows.len().max(1) as f64;
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (height) }
            role="img" font-size="14" {
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let y = i as f64 * ROW;
                @let length = (WIDTH - LABEL - VALUE) * (*value as f64) / max;
                text x=(coord(LABEL - 8.0)) y=(coord(y + ROW * 0.65)) text-anchor="end" { (label) }
                rect x=(LABEL) y=(coord(y + 4.0)) width=(coord(length)) height=(coord(ROW - 8.0))
                    fill=(colour) {}
                text x=(coord(LABEL + length + 6.0)) y=(coord(y + ROW * 0.65)) { (value) }
            }
        }
    }
}

/// One column per day: all entries, and the denials among them in red over the same scale.
/// `days` are (`YYYY-MM-DD`, entries, denials), oldest first.
#[must_use]
pub fn days(days: &[(String, u64, u64)]) -> Markup {
    const HEIGHT: f64 = 220.0;
    const BOTTOM: f64 = 24.0;
    const LEFT: f64 = 52.0;
    let max = days.iter().map(|(_, e, _)| *e).max().unwrap_or(0).max(1) as f64;
    let step = (WIDTH - LEFT) / days.len().max(1) as f64;
    let plot = HEIGHT - BOTTOM - 8.0;
    let base = coord(HEIGHT - BOTTOM);
    let axis = coord(LEFT - 6.0);
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
            role="img" font-size="12" {
            text x=(axis) y="14" text-anchor="end" { (max) }
            text x=(axis) y=(base) text-anchor="end" { "0" }
            line x1=(LEFT) y1=(base) x2=(WIDTH) y2=(base) stroke="#555" {}
            @for (i, (day, entries, denials)) in days.iter().enumerate() {
                @let x = LEFT + i as f64 * step;
                @let bar = (step - 2.0).max(1.0);
                @let all = plot * (*entries as f64) / max;
                @let denied = plot * (*denials as f64) / max;
                rect x=(coord(x)) y=(coord(HEIGHT - BOTTOM - all)) width=(coord(bar))
                    height=(coord(all)) fill="#9db4d6" {
                    title { (day) " " (entries) " / " (denials) }
                }
                rect x=(coord(x)) y=(coord(HEIGHT - BOTTOM - denied)) width=(coord(bar))
                    height=(coord(denied)) fill="#c01f1f" {}
                @if i % 5 == 0 {
                    text x=(coord(x + bar / 2.0)) y=(coord(HEIGHT - 6.0)) text-anchor="middle" {
                        (day.get(5..).unwrap_or(day))
                    }
                }
            }
        }
    }
}

/// A share against its target: the bar filled to `share`, a mark at `target` (both 0–1).
#[must_use]
pub fn progress(share: f64, target: f64) -> Markup {
    const W: f64 = 300.0;
    let fill = W * share.clamp(0.0, 1.0);
    let mark = coord(W * target.clamp(0.0, 1.0));
    let colour = if share >= target {
        "#1b7f3b"
    } else {
        "#a66300"
    };
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (W) " 22" } width=(W) height="22"
            role="img" font-size="12" {
            rect width=(W) height="16" y="3" fill="#e6e6e6" {}
            rect width=(coord(fill)) height="16" y="3" fill=(colour) {}
            line x1=(mark) x2=(mark) y1="0" y2="22" stroke="#111" stroke-width="2" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_bar_is_the_largest_value_and_labels_are_escaped() {
        let svg = bars(&[("<美团>".into(), 10), ("饿了么".into(), 5)], "#333").into_string();
        assert!(svg.contains("&lt;美团&gt;"));
        assert!(svg.contains("width=\"360.0\""), "{svg}");
        assert!(svg.contains("width=\"180.0\""), "{svg}");
    }

    #[test]
    fn empty_figures_draw_an_empty_chart_rather_than_dividing_by_zero() {
        assert!(!bars(&[], "#333").into_string().contains("NaN"));
        let svg = days(&[("2026-11-01".into(), 0, 0)]).into_string();
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
