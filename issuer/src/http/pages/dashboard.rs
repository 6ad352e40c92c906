//! The regulator's and properties' dashboard at `/admin`: log in with an admin token, then
//! coverage against the province's targets, sites missing a guide or parking, riders by
//! platform, entries per day, denials by reason and by site, and open help requests to close.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::charts;
use super::html::{self, escape};
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

fn lang_field(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "<input type=\"hidden\" name=\"lang\" value=\"zh\">",
        Lang::En => "<input type=\"hidden\" name=\"lang\" value=\"en\">",
    }
}

fn login_form(lang: Lang, error: Option<&str>) -> String {
    let w = lang.words();
    let error = error.map_or(String::new(), |e| {
        format!("<p class=\"error\">{}</p>", escape(e))
    });
    let body = format!(
        "<main><h1>{title}</h1>{error}<form class=\"stack\" method=\"post\" action=\"/admin/login\">\
         {lang_field}<label for=\"token\">{token}</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>\
         <div class=\"actions\"><button class=\"primary\" type=\"submit\">{log_in}</button></div>\
         </form></main>",
        title = escape(w.admin_login_title),
        lang_field = lang_field(lang),
        token = escape(w.admin_token),
        log_in = escape(w.log_in),
    );
    html::layout(lang, w.admin_login_title, "", &body)
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

fn table_head(cells: &[&str]) -> String {
    let mut out = String::from("<table><tr>");
    for cell in cells {
        let _ = write!(out, "<th>{}</th>", escape(cell));
    }
    out.push_str("</tr>");
    out
}

fn coverage(w: &Words, d: &Dashboard) -> String {
    let s = &d.stats;
    let mut out = format!(
        "<h2>{}</h2><div class=\"grid\"><div><div class=\"figure\">{}</div>{}</div>\
         <div><div class=\"figure\">{}</div>{} ({})</div>\
         <div><div class=\"figure\">{}</div>{} ({})</div></div>",
        escape(w.coverage),
        s.sites,
        escape(w.sites),
        percent(s.building_guide_share),
        escape(w.with_guide),
        s.with_building_guide,
        percent(s.parking_share),
        escape(w.with_parking),
        s.with_parking,
    );
    out.push_str(&table_head(&[
        w.deadline,
        w.target_sites,
        w.target_share,
        w.with_guide,
        w.with_parking,
    ]));
    for t in &s.targets {
        let tag = |met: bool| {
            if met {
                format!("<span class=\"tag met\">{}</span>", escape(w.met))
            } else {
                format!("<span class=\"tag not-met\">{}</span>", escape(w.not_met))
            }
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{} / {} ({})<br>{}</td><td>{}</td><td>{}<br>{}</td>\
             <td>{}<br>{}</td></tr>",
            escape(t.by),
            s.sites,
            t.sites,
            percent(t.sites_progress),
            charts::progress(t.sites_progress, 1.0),
            percent(t.guide_and_parking_share),
            charts::progress(s.building_guide_share, t.guide_and_parking_share),
            tag(t.building_guide_met),
            charts::progress(s.parking_share, t.guide_and_parking_share),
            tag(t.parking_met),
        );
    }
    out.push_str("</table>");
    out
}

fn gaps(w: &Words, d: &Dashboard) -> String {
    let mut out = format!("<h2>{}</h2>", escape(w.sites_missing));
    if d.sites_missing.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", escape(w.nothing_yet));
        return out;
    }
    out.push_str(&table_head(&[w.site, w.district, w.guide, w.parking]));
    let word = |has: bool| if has { w.yes } else { w.missing };
    for gap in &d.sites_missing {
        let _ = write!(
            out,
            "<tr><td><a href=\"/s/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            gap.site,
            escape(&gap.name),
            escape(&gap.district),
            escape(word(gap.has_guide)),
            escape(word(gap.has_parking)),
        );
    }
    out.push_str("</table>");
    out
}

fn riders(w: &Words, d: &Dashboard) -> String {
    let mut out = format!("<h2>{}</h2>", escape(w.riders_by_platform));
    let rows: Vec<(String, u64)> = d
        .stats
        .riders_by_platform
        .iter()
        .map(|p| (p.platform.clone(), p.active))
        .collect();
    out.push_str(&charts::bars(&rows, "#1f4fa8"));
    out.push_str(&table_head(&[
        w.rider,
        w.standings[0],
        w.standings[1],
        w.standings[2],
    ]));
    for p in &d.stats.riders_by_platform {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            escape(&p.platform),
            p.active,
            p.suspended,
            p.revoked
        );
    }
    out.push_str("</table>");
    out
}

fn traffic(lang: Lang, w: &Words, d: &Dashboard) -> String {
    let days: Vec<(String, u64, u64)> = d
        .stats
        .entries_per_day
        .iter()
        .map(|day| (day.day.clone(), day.entries, day.denials))
        .collect();
    let mut out = format!(
        "<h2>{} <span class=\"muted\">({}; {} / <span class=\"denied\">{}</span>)</span></h2>{}",
        escape(w.entries_per_day),
        escape(w.last_30_days),
        escape(w.entries),
        escape(w.denials),
        charts::days(&days)
    );
    let _ = write!(out, "<h2>{}</h2>", escape(w.denials_by_reason));
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
    if reasons.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", escape(w.nothing_yet));
    } else {
        out.push_str(&charts::bars(&reasons, "#c01f1f"));
    }
    let _ = write!(out, "<h2>{}</h2>", escape(w.denials_by_site));
    if d.denials_by_site.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>", escape(w.nothing_yet));
    } else {
        out.push_str(&table_head(&[w.site, w.entries, w.denials, "%"]));
        for s in &d.denials_by_site {
            let share = if s.entries == 0 {
                0.0
            } else {
                s.denials as f64 / s.entries as f64
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                escape(&s.name),
                s.entries,
                s.denials,
                percent(share)
            );
        }
        out.push_str("</table>");
    }
    out
}

/// A link to the dashboard's help requests, after `after` if given.
fn help_link(lang: Lang, after: Option<&str>, words: &str) -> String {
    let mut query: Vec<String> = Vec::new();
    if let Some(after) = after {
        query.push(format!("after={}", escape(after)));
    }
    if lang == Lang::En {
        query.push("lang=en".into());
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&amp;"))
    };
    format!(
        "<a class=\"pager\" href=\"/admin{query}#help\">{}</a>",
        escape(words)
    )
}

/// A page of the open help requests; `older` if it is not the first page.
fn help(lang: Lang, w: &Words, open: &Page<HelpRequest>, older: bool) -> String {
    let mut out = format!("<h2 id=\"help\">{}</h2>", escape(w.open_help));
    let mut pager = String::new();
    if older {
        pager.push_str(&help_link(lang, None, w.newest_help));
    }
    if let Some(next) = &open.next_after {
        pager.push_str(&help_link(lang, Some(next), w.older_help));
    }
    if !pager.is_empty() {
        pager = format!("<p class=\"pager\">{pager}</p>");
    }
    if open.items.is_empty() {
        let _ = write!(out, "<p class=\"muted\">{}</p>{pager}", escape(w.none_open));
        return out;
    }
    out.push_str(&table_head(&[
        w.when,
        w.site,
        w.rider,
        w.what,
        w.resolution,
    ]));
    for h in &open.items {
        let when = crate::service::calendar::short_time(h.created_at);
        let category = crate::model::HelpCategory::ALL
            .iter()
            .position(|c| *c == h.category)
            .map_or("", |i| w.categories[i]);
        let _ = write!(
            out,
            "<tr data-help-id=\"{id}\"><td>#{id} {when}</td><td>{site}</td><td>{rider} · {platform}</td>\
             <td><strong>{category}</strong><br>{note}</td><td>\
             <form class=\"inline\" method=\"post\" action=\"/admin/help/{id}/close\">{lang_field}\
             <input name=\"resolution\" required maxlength=\"500\" aria-label=\"{resolution}\" \
             placeholder=\"{resolution}\"><button type=\"submit\">{close}</button></form></td></tr>",
            id = h.id,
            site = escape(&h.site_name),
            rider = escape(&h.rider_name),
            platform = escape(&h.platform),
            category = escape(category),
            note = escape(&h.note),
            lang_field = lang_field(lang),
            resolution = escape(w.resolution),
            close = escape(w.close),
        );
    }
    out.push_str("</table>");
    out.push_str(&pager);
    out
}

/// The whole dashboard page.
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
fn top_bar(lang: Lang, w: &Words, title: &str, admin: &str) -> String {
    format!(
        "<div class=\"bar\"><h1>{title}</h1><span>{admin} · {other} · \
         <form method=\"post\" action=\"/admin/logout\" class=\"in-line\">\
         <button type=\"submit\">{log_out}</button></form></span></div>",
        title = escape(title),
        admin = escape(admin),
        other = html::other_language_link(lang, "/admin"),
        log_out = escape(w.log_out),
    )
}

fn render_property(
    lang: Lang,
    admin: &str,
    site: &str,
    open: &Page<HelpRequest>,
    older: bool,
) -> String {
    let w = lang.words();
    let title = format!("{site} · {}", w.property_title);
    let body = format!(
        "<main class=\"wide\">{bar}{help}</main>",
        bar = top_bar(lang, w, &title, admin),
        help = help(lang, w, open, older),
    );
    html::layout(lang, &title, "", &body)
}

fn render(lang: Lang, admin: &str, d: &Dashboard, older: bool) -> String {
    let w = lang.words();
    let body = format!(
        "<main class=\"wide\">{bar}{help}{coverage}{gaps}<div class=\"grid\"><div>{riders}</div>\
         <div>{traffic}</div></div></main>",
        bar = top_bar(lang, w, w.dashboard_title, admin),
        help = help(lang, w, &d.open_help, older),
        coverage = coverage(w, d),
        gaps = gaps(w, d),
        riders = riders(w, d),
        traffic = traffic(lang, w, d),
    );
    html::layout(lang, w.dashboard_title, "", &body)
}
