//! The regulator's and properties' dashboard at `/admin`: log in with an admin token, then
//! coverage against the province's targets, sites missing a guide or parking, riders by
//! platform, entries per day, denials by reason and by site, and open help requests to close.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use super::charts;
use super::html::{self, lang_field};
use super::text::{Lang, Words};
use super::{PageForm, PageQuery, lang, page, see_other};
use crate::http::{PathId, blocking, now};
use crate::model::HelpRequest;
use crate::paging::{Page, PageRequest};
use crate::service::{ADMIN_SESSION_TTL, Dashboard, Issuer};

/// The dashboard session's cookie: only ever sent to `/admin` pages.
const ADMIN_COOKIE: &str = "xg_admin";

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/help/{help_id}/close", post(close_help))
}

fn admin_cookie(issuer: &Issuer, value: &str, max_age: i64) -> HeaderValue {
    crate::http::session_cookie(issuer, ADMIN_COOKIE, "/admin", value, max_age)
}

fn admin_session(headers: &HeaderMap) -> Option<String> {
    crate::http::cookie_value(headers, ADMIN_COOKIE)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

#[derive(Deserialize)]
struct DashboardQuery {
    lang: Option<String>,
    /// The `next_after` of the help requests' previous page.
    after: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    lang: Option<String>,
}

fn login_form(lang: Lang, error: Option<&str>) -> Markup {
    let w = lang.words();
    let fields = html! {
        label for="token" { (w.admin_token) }
        input #token name="token" type="password" autocomplete="off" required;
        div.actions { button.primary type="submit" { (w.log_in) } }
    };
    html::form_page(lang, w.admin_login_title, error, "/admin/login", fields)
}

async fn login_page(PageQuery(query): PageQuery<LangQuery>, headers: HeaderMap) -> Response {
    page(
        StatusCode::OK,
        login_form(lang(query.lang.as_deref(), &headers), None),
    )
}

async fn login(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let lang = lang(form.lang.as_deref(), &headers);
    let token = form.token.trim().to_owned();
    match blocking(&issuer, move |i| i.start_admin_session(&token, now())).await {
        Ok((session, admin)) => {
            tracing::info!(admin = %admin.name, site = ?admin.site, "dashboard login");
            let mut response = see_other(if lang == Lang::En {
                "/admin?lang=en"
            } else {
                "/admin"
            });
            response.headers_mut().insert(
                header::SET_COOKIE,
                admin_cookie(&issuer, &session, ADMIN_SESSION_TTL),
            );
            response
        }
        Err(e) => e.mark(page(
            StatusCode::UNAUTHORIZED,
            login_form(lang, Some(lang.words().admin_login_failed)),
        )),
    }
}

async fn logout(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    if let Some(session) = admin_session(&headers) {
        // Logging out must always work, even for a session already gone.
        let _ = blocking(&issuer, move |i| i.end_admin_session(&session)).await;
    }
    let mut response = see_other("/admin/login");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, admin_cookie(&issuer, "", 0));
    response
}

async fn dashboard(
    State(issuer): State<Arc<Issuer>>,
    PageQuery(query): PageQuery<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(query.lang.as_deref(), &headers);
    let Some(session) = admin_session(&headers) else {
        return see_other("/admin/login");
    };
    let at = now();
    let older = query.after.is_some();
    let view = blocking(&issuer, move |i| {
        let admin = i.admin_session(&session, at)?;
        let help = PageRequest::new(None, query.after)?;
        let view = match admin.site {
            None => View::Regulator(Box::new(i.dashboard(&help, at)?)),
            Some(site) => View::Property {
                site: i.site(site)?.name,
                help: i.help_requests(true, Some(site), &help)?,
            },
        };
        Ok((admin.name, view))
    })
    .await;
    match view {
        Ok((name, View::Regulator(figures))) => {
            page(StatusCode::OK, render(lang, &name, &figures, older))
        }
        Ok((name, View::Property { site, help })) => page(
            StatusCode::OK,
            render_property(lang, &name, &site, &help, older),
        ),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => see_other("/admin/login"),
        Err(e) => page(e.status(), html::error_page(lang, &e.message())),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    resolution: String,
    lang: Option<String>,
}

async fn close_help(
    State(issuer): State<Arc<Issuer>>,
    Path(PathId(id)): Path<PathId>,
    headers: HeaderMap,
    PageForm(form): PageForm<CloseForm>,
) -> Response {
    let lang = lang(form.lang.as_deref(), &headers);
    let Some(session) = admin_session(&headers) else {
        return see_other("/admin/login");
    };
    let closed = blocking(&issuer, move |i| {
        let at = now();
        let admin = i.admin_session(&session, at)?;
        let closed = i.close_help_request(id, &form.resolution, &admin, at)?;
        tracing::info!(admin = %admin.name, help = id, "help request closed");
        Ok(closed)
    })
    .await;
    match closed {
        Ok(_) => see_other(if lang == Lang::En {
            "/admin?lang=en#help"
        } else {
            "/admin#help"
        }),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => see_other("/admin/login"),
        Err(e) => page(e.status(), html::error_page(lang, &e.message())),
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn table_head(cells: &[&str]) -> Markup {
    html! { tr { @for cell in cells { th { (cell) } } } }
}

/// "met" or "not met", tagged for the eye.
fn tag(w: &Words, met: bool) -> Markup {
    html! {
        @if met {
            span.tag.met { (w.met) }
        } @else {
            span.tag.not-met { (w.not_met) }
        }
    }
}

fn coverage(w: &Words, d: &Dashboard) -> Markup {
    let s = &d.stats;
    html! {
        h2 { (w.coverage) }
        div.grid {
            div { div.figure { (s.sites) } (w.sites) }
            div {
                div.figure { (percent(s.building_guide_share)) }
                (w.with_guide) " (" (s.with_building_guide) ")"
            }
            div {
                div.figure { (percent(s.parking_share)) }
                (w.with_parking) " (" (s.with_parking) ")"
            }
        }
        table {
            (table_head(&[
                w.deadline,
                w.target_sites,
                w.target_share,
                w.with_guide,
                w.with_parking,
            ]))
            @for t in &s.targets {
                tr {
                    td { (t.by) }
                    td {
                        (s.sites) " / " (t.sites) " (" (percent(t.sites_progress)) ")" br;
                        (charts::progress(t.sites_progress, 1.0))
                    }
                    td { (percent(t.guide_and_parking_share)) }
                    td {
                        (charts::progress(s.building_guide_share, t.guide_and_parking_share)) br;
                        (tag(w, t.building_guide_met))
                    }
                    td {
                        (charts::progress(s.parking_share, t.guide_and_parking_share)) br;
                        (tag(w, t.parking_met))
                    }
                }
            }
        }
    }
}

/// A muted line saying there is nothing to show.
fn nothing(words: &str) -> Markup {
    html! { p.muted { (words) } }
}

fn gaps(w: &Words, d: &Dashboard) -> Markup {
    let word = |has: bool| if has { w.yes } else { w.missing };
    html! {
        h2 { (w.sites_missing) }
        @if d.sites_missing.is_empty() {
            (nothing(w.nothing_yet))
        } @else {
            table {
                (table_head(&[w.site, w.district, w.guide, w.parking]))
                @for gap in &d.sites_missing {
                    tr {
                        td { a href={ "/s/" (gap.site) } { (gap.name) } }
                        td { (gap.district) }
                        td { (word(gap.has_guide)) }
                        td { (word(gap.has_parking)) }
                    }
                }
            }
        }
    }
}

fn riders(w: &Words, d: &Dashboard) -> Markup {
    let rows: Vec<(String, u64)> = d
        .stats
        .riders_by_platform
        .iter()
        .map(|p| (p.platform.clone(), p.active))
        .collect();
    html! {
        h2 { (w.riders_by_platform) }
        (charts::bars(&rows, "#1f4fa8"))
        table {
            (table_head(&[w.rider, w.standings[0], w.standings[1], w.standings[2]]))
            @for p in &d.stats.riders_by_platform {
                tr {
                    td { (p.platform) }
                    td.num { (p.active) }
                    td.num { (p.suspended) }
                    td.num { (p.revoked) }
                }
            }
        }
    }
}

fn traffic(lang: Lang, w: &Words, d: &Dashboard) -> Markup {
    let days: Vec<(String, u64, u64)> = d
        .stats
        .entries_per_day
        .iter()
        .map(|day| (day.day.clone(), day.entries, day.denials))
        .collect();
    let mut reasons: Vec<(String, u64)> = d
        .stats
        .denials_by_reason
        .iter()
        .map(|(code, n)| {
            let (zh, en) = xiaoge_pass::ReasonCode::words_of(code);
            (if lang == Lang::Zh { zh } else { en }.to_owned(), *n)
        })
        .collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    html! {
        h2 {
            (w.entries_per_day) " "
            span.muted {
                "(" (w.last_30_days) "; " (w.entries) " / " span.denied { (w.denials) } ")"
            }
        }
        (charts::days(&days))
        h2 { (w.denials_by_reason) }
        @if reasons.is_empty() {
            (nothing(w.nothing_yet))
        } @else {
            (charts::bars(&reasons, "#c01f1f"))
        }
        h2 { (w.denials_by_site) }
        @if d.denials_by_site.is_empty() {
            (nothing(w.nothing_yet))
        } @else {
            table {
                (table_head(&[w.site, w.entries, w.denials, "%"]))
                @for s in &d.denials_by_site {
                    @let share = if s.entries == 0 {
                        0.0
                    } else {
                        s.denials as f64 / s.entries as f64
                    };
                    tr {
                        td { (s.name) }
                        td.num { (s.entries) }
                        td.num { (s.denials) }
                        td.num { (percent(share)) }
                    }
                }
            }
        }
    }
}

/// A link to the dashboard's help requests, after `after` if given.
fn help_link(lang: Lang, after: Option<&str>, words: &str) -> Markup {
    let mut query: Vec<String> = Vec::new();
    if let Some(after) = after {
        query.push(format!("after={}", html::query_value(after)));
    }
    if lang == Lang::En {
        query.push("lang=en".into());
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    html! { a.pager href={ "/admin" (query) "#help" } { (words) } }
}

/// A page of the open help requests; `older` if it is not the first page.
fn help(lang: Lang, w: &Words, open: &Page<HelpRequest>, older: bool) -> Markup {
    html! {
        h2 #help { (w.open_help) }
        @if open.items.is_empty() {
            (nothing(w.none_open))
        } @else {
            table {
                (table_head(&[w.when, w.site, w.rider, w.what, w.resolution]))
                @for h in &open.items {
                    @let category = crate::model::HelpCategory::ALL
                        .iter()
                        .position(|c| *c == h.category)
                        .map_or("", |i| w.categories[i]);
                    tr data-help-id=(h.id) {
                        td { "#" (h.id) " " (crate::service::calendar::short_time(h.created_at)) }
                        td { (h.site_name) }
                        td { (h.rider_name) " · " (h.platform) }
                        td { strong { (category) } br; (h.note) }
                        td {
                            form.inline method="post" action={ "/admin/help/" (h.id) "/close" } {
                                (lang_field(lang))
                                input name="resolution" required maxlength="500"
                                    aria-label=(w.resolution) placeholder=(w.resolution);
                                button type="submit" { (w.close) }
                            }
                        }
                    }
                }
            }
        }
        @if older || open.next_after.is_some() {
            p.pager {
                @if older {
                    (help_link(lang, None, w.newest_help))
                }
                @if let Some(next) = &open.next_after {
                    (help_link(lang, Some(next), w.older_help))
                }
            }
        }
    }
}

/// What a dashboard session sees.
enum View {
    /// The regulator: every figure, every site.
    Regulator(Box<Dashboard>),
    /// A property: its own site's open help requests.
    Property {
        site: String,
        help: Page<HelpRequest>,
    },
}

/// The bar across the top: the heading, who is signed in, the other language, log out.
fn top_bar(lang: Lang, w: &Words, title: &str, admin: &str) -> Markup {
    html! {
        div.bar {
            h1 { (title) }
            span {
                (admin) " · " (html::other_language_link(lang, "/admin")) " · "
                form.in-line method="post" action="/admin/logout" {
                    button type="submit" { (w.log_out) }
                }
            }
        }
    }
}

fn render_property(
    lang: Lang,
    admin: &str,
    site: &str,
    open: &Page<HelpRequest>,
    older: bool,
) -> Markup {
    let w = lang.words();
    let title = format!("{site} · {}", w.property_title);
    let body = html! {
        main.wide {
            (top_bar(lang, w, &title, admin))
            (help(lang, w, open, older))
        }
    };
    html::layout(lang, &title, Markup::default(), body)
}

/// The whole dashboard page.
fn render(lang: Lang, admin: &str, d: &Dashboard, older: bool) -> Markup {
    let w = lang.words();
    let body = html! {
        main.wide {
            (top_bar(lang, w, w.dashboard_title, admin))
            (help(lang, w, &d.open_help, older))
            (coverage(w, d))
            (gaps(w, d))
            div.grid {
                div { (riders(w, d)) }
                div { (traffic(lang, w, d)) }
            }
        }
    };
    html::layout(lang, w.dashboard_title, Markup::default(), body)
}
