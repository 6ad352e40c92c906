//! Place codes (场所码): a site's page at `/s/{site}`, which sends a signed-in rider to a code
//! bound to the site, and shows anyone the site's building guide and parking.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use xiaoge_pass::SiteId;

use super::charts::coord;
use super::html::{self, lang_field, query_value};
use super::text::{Lang, Words};
use super::{PageQuery, lang, page, see_other};
use crate::http::{blocking, now, rider::session_token};
use crate::model::Site;
use crate::service::Issuer;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new().route("/s/{site_id}", get(place))
}

/// The query of a page that shows a building guide.
#[derive(Deserialize, Default)]
pub(super) struct GuideQuery {
    pub lang: Option<String>,
    /// A building to find.
    pub building: Option<String>,
}

async fn place(
    State(issuer): State<Arc<Issuer>>,
    Path(site): Path<String>,
    PageQuery(query): PageQuery<GuideQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(query.lang.as_deref(), &headers);
    let w = lang.words();
    let Some(id) = site.parse::<u64>().ok().map(SiteId) else {
        return page(
            StatusCode::NOT_FOUND,
            html::error_page(lang, &format!("{} {site}", w.no_such_site)),
        );
    };
    let token = session_token(&headers).ok();
    let found = blocking(&issuer, move |i| {
        let site = i.site(id)?;
        let signed_in = token.is_some_and(|t| i.session(&t, now()).is_ok());
        Ok((site, signed_in))
    })
    .await;
    let Ok((site, signed_in)) = found else {
        return page(
            StatusCode::NOT_FOUND,
            html::error_page(lang, &format!("{} {site}", w.no_such_site)),
        );
    };
    if signed_in {
        let lang_part = query
            .lang
            .as_deref()
            .map_or(String::new(), |l| format!("&lang={}", query_value(l)));
        return see_other(&format!("/r?site={}{lang_part}", site.id.0));
    }
    let here = format!("/s/{}", site.id.0);
    let body = html! {
        main {
            div.bar {
                span.muted { (w.product) }
                (html::other_language_link(lang, &here))
            }
            h1 { (site.name) }
            p.muted { (site.district) " " (site.address) }
            p.notice { (w.place_sign_in) }
            (guide(lang, &site, query.building.as_deref(), &here))
        }
    };
    page(
        StatusCode::OK,
        html::layout(lang, &site.name, Markup::default(), body),
    )
}

/// Which way to walk from the main gate, in words.
fn way(lang: Lang, x: f64, y: f64) -> String {
    let w = lang.words();
    let round = |v: f64| (v.abs() / 10.0).round() * 10.0;
    let mut legs = Vec::new();
    for (distance, positive, negative) in [(x, w.east, w.west), (y, w.north, w.south)] {
        let metres = round(distance);
        if metres >= 10.0 {
            let direction = if distance > 0.0 { positive } else { negative };
            legs.push(match lang {
                Lang::Zh => format!("{direction} {metres:.0} {}", w.metres),
                Lang::En => format!("{metres:.0} {} {direction}", w.metres),
            });
        }
    }
    if legs.is_empty() {
        return w.main_gate.to_owned();
    }
    let sep = match lang {
        Lang::Zh => "，",
        Lang::En => ", ",
    };
    format!("{} {}", w.from_gate, legs.join(sep))
}

/// The buildings a search names: the one called exactly that, else every one whose name
/// contains it.
fn matches<'a>(site: &'a Site, wanted: &str) -> Vec<&'a str> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Vec::new();
    }
    if let Some(b) = site.buildings.iter().find(|b| b.name == wanted) {
        return vec![b.name.as_str()];
    }
    site.buildings
        .iter()
        .filter(|b| b.name.contains(wanted))
        .map(|b| b.name.as_str())
        .collect()
}

/// The building guide and parking of `site`: a plan, a search, and tables that read without
/// the plan. `action` is the page the search form returns to.
pub(super) fn guide(lang: Lang, site: &Site, wanted: Option<&str>, action: &str) -> Markup {
    let w = lang.words();
    let hits = wanted.map(|q| matches(site, q)).unwrap_or_default();
    let (path, query) = action.split_once('?').unwrap_or((action, ""));
    let hidden = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k != "building");
    let searched = wanted.filter(|q| !q.trim().is_empty());
    html! {
        h2 #guide { (w.guide_title) }
        @if site.buildings.is_empty() {
            p.muted { (w.no_guide) }
        } @else {
            form.inline method="get" action={ (path) "#guide" } {
                @for (name, value) in hidden {
                    input type="hidden" name=(name) value=(value);
                }
                @if lang == Lang::En && !query.contains("lang=") {
                    (lang_field(lang))
                }
                input name="building" value=(wanted.unwrap_or_default())
                    placeholder=(w.find_building) aria-label=(w.find_building);
                button type="submit" { (w.search) }
            }
            @if let Some(q) = searched {
                @if hits.is_empty() {
                    p.error { (w.no_such_building) (q) }
                } @else {
                    @for b in site.buildings.iter().filter(|b| hits.contains(&b.name.as_str())) {
                        p.notice #found { (b.name) "：" (way(lang, b.x, b.y)) }
                    }
                }
            }
            (plan(w, site, &hits))
            table {
                tr { th { (w.building) } th { (w.way) } }
                @for b in &site.buildings {
                    tr class=[hits.contains(&b.name.as_str()).then_some("hit")] {
                        td { (b.name) }
                        td { (way(lang, b.x, b.y)) }
                    }
                }
            }
        }
        h2 { (w.parking_title) }
        @if site.parking.is_empty() {
            p.muted { (w.no_parking) }
        } @else {
            table {
                @for p in &site.parking {
                    tr {
                        td { "🅿 " (p.name) }
                        td.num { (p.capacity) " " (w.places) }
                        td { (way(lang, p.x, p.y)) }
                    }
                }
            }
        }
    }
}

/// The site drawn from above: north up, the main gate, buildings (the ones searched for
/// highlighted) and parking spots, scaled to fit. Elements are closed as in `charts`.
fn plan(w: &Words, site: &Site, hits: &[&str]) -> Markup {
    let points = site
        .buildings
        .iter()
        .map(|b| (b.x, b.y))
        .chain(site.parking.iter().map(|p| (p.x, p.y)))
        .chain(std::iter::once((0.0, 0.0)));
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (x, y) in points {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    const SIZE: f64 = 340.0;
    const MARGIN: f64 = 34.0;
    let span = (max_x - min_x).max(max_y - min_y).max(1.0);
    let scale = (SIZE - 2.0 * MARGIN) / span;
    let at = |x: f64, y: f64| {
        (
            MARGIN + (x - min_x) * scale,
            // North is up: the plan's y grows downwards.
            SIZE - MARGIN - (y - min_y) * scale,
        )
    };
    let (gx, gy) = at(0.0, 0.0);
    html! {
        svg.plan xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (SIZE) " " (SIZE) } role="img"
            aria-label=(w.guide_title) font-size="12" text-anchor="middle" {
            text x=(SIZE - 20.0) y="16" font-weight="700" { "N ↑" }
            @for p in &site.parking {
                @let (x, y) = at(p.x, p.y);
                rect x=(coord(x - 8.0)) y=(coord(y - 8.0)) width="16" height="16" rx="3"
                    fill="#1f4fa8" {}
                text x=(coord(x)) y=(coord(y + 4.5)) fill="#fff" font-weight="700" { "P" }
            }
            @for b in &site.buildings {
                @let (x, y) = at(b.x, b.y);
                @let hit = hits.contains(&b.name.as_str());
                @let (half, fill, stroke) = if hit {
                    (13.0, "#ffb300", "#111")
                } else {
                    (9.0, "#d9d9d9", "#555")
                };
                rect class=[hit.then_some("hit")] x=(coord(x - half)) y=(coord(y - half))
                    width=(2.0 * half) height=(2.0 * half) fill=(fill) stroke=(stroke)
                    stroke-width="1.5" {}
                text x=(coord(x)) y=(coord(y + half + 13.0)) font-weight=[hit.then_some("700")] {
                    (b.name)
                }
            }
            circle cx=(coord(gx)) cy=(coord(gy)) r="8" fill="#1b7f3b" {}
            text x=(coord(gx)) y=(coord(gy + 22.0)) font-weight="700" fill="#1b7f3b" {
                (w.main_gate)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Building, SiteKind};

    fn site() -> Site {
        Site {
            id: SiteId(1),
            name: "翠苑一区".into(),
            kind: SiteKind::Residential,
            address: String::new(),
            district: String::new(),
            buildings: vec![
                Building {
                    name: "3幢".into(),
                    x: 118.0,
                    y: -42.0,
                },
                Building {
                    name: "13幢".into(),
                    x: -60.0,
                    y: 200.0,
                },
            ],
            parking: Vec::new(),
        }
    }

    #[test]
    fn directions_read_in_both_languages() {
        assert_eq!(
            way(Lang::Zh, 118.0, -42.0),
            "从大门 向东 120 米，向南 40 米"
        );
        assert_eq!(
            way(Lang::En, -60.0, 200.0),
            "From the main gate: 60 m west, 200 m north"
        );
        assert_eq!(way(Lang::Zh, 2.0, -3.0), "大门");
    }

    #[test]
    fn an_exact_name_wins_over_names_that_contain_it() {
        let site = site();
        assert_eq!(matches(&site, " 3幢 "), vec!["3幢"]);
        assert_eq!(matches(&site, "3"), vec!["3幢", "13幢"]);
        assert!(matches(&site, "9幢").is_empty());
        assert!(matches(&site, "").is_empty());
    }

    #[test]
    fn the_guide_highlights_the_building_searched_for_and_escapes_names() {
        let mut site = site();
        site.buildings[1].name = "<b>13幢".into();
        let page = guide(Lang::Zh, &site, Some("3幢"), "/r?site=1").into_string();
        assert!(page.contains("<tr class=\"hit\"><td>3幢</td>"), "{page}");
        assert!(page.contains("&lt;b&gt;13幢"));
        assert!(!page.contains("<b>13幢"));
        assert!(page.contains("name=\"site\" value=\"1\""));
        let missing = guide(Lang::En, &site, Some("9幢"), "/s/1").into_string();
        assert!(missing.contains("No building called 9幢"), "{missing}");
    }
}
