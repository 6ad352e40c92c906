//! The rider's pages: the login link's landing, the code page (a large QR that renews itself,
//! with a countdown and plain offline and signed-out states), and help requests.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use xiaoge_pass::SiteId;

use super::html::{self, lang_field};
use super::place::guide;
use super::text::Lang;
use super::{PageForm, PageQuery, lang, page, see_other};
use crate::error::IssuerError;
use crate::http::rider::{cookie, session_token};
use crate::http::{blocking, now};
use crate::model::{CodeResponse, HelpCategory, NewHelpRequest, SessionInfo, Site};
use crate::paging;
use crate::service::Issuer;
use xiaoge_pass::qr_image;

pub(super) fn routes() -> Router<Arc<Issuer>> {
    Router::new()
        .route("/r/login", get(login_page).post(login))
        .route("/r", get(code_page))
        .route("/r/code", get(code_json))
        .route("/r/help", get(help_page).post(ask_for_help))
        .route("/r/logout", post(logout))
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    token: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    lang: Option<String>,
}

/// The login link's landing: a form that posts the one-time token. Posting, not spending it
/// on a GET, keeps chat apps' link previews from using up a rider's link; the page's script
/// submits the form at once, so the rider sees no extra step.
async fn login_page(PageQuery(query): PageQuery<LoginQuery>, headers: HeaderMap) -> Response {
    let lang = lang(query.lang.as_deref(), &headers);
    let w = lang.words();
    let token = query.token.unwrap_or_default();
    let body = html! {
        main {
            h1 { (w.login_title) }
            form #login-form method="post" action="/r/login" {
                input type="hidden" name="token" value=(token);
                (lang_field(lang))
                noscript { button.primary type="submit" { (w.login_button) } }
            }
        }
    };
    page(
        StatusCode::OK,
        html::layout(lang, w.login_title, script(), body),
    )
}

/// The rider pages' script, loaded after the page is read.
fn script() -> Markup {
    html! { script src="/assets/rider.js" defer {} }
}

async fn login(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let lang = lang(form.lang.as_deref(), &headers);
    let at = now();
    let token = form.token;
    match blocking(&issuer, move |i| i.start_session(&token, at)).await {
        Ok((session, info)) => {
            let set = cookie(&issuer, &session, info.expires_at.since(at));
            let target = if lang == Lang::En { "/r?lang=en" } else { "/r" };
            let mut response = see_other(target);
            response.headers_mut().insert(header::SET_COOKIE, set);
            response
        }
        Err(e) => e.mark(page(
            StatusCode::UNAUTHORIZED,
            html::error_page(lang, lang.words().login_failed),
        )),
    }
}

#[derive(Deserialize, Default)]
struct CodeQuery {
    site: Option<u64>,
    lang: Option<String>,
    building: Option<String>,
    /// The number of a help request just filed.
    sent: Option<u64>,
}

/// What the code page needs from the store.
struct CodeView {
    rider: SessionInfo,
    rider_id: String,
    code: CodeResponse,
    site: Option<Site>,
}

fn code_view(issuer: &Issuer, token: &str, site: Option<SiteId>) -> Result<CodeView, IssuerError> {
    let at = now();
    let session = issuer.session(token, at)?;
    let site = site.map(|s| issuer.site(s)).transpose()?;
    let code = issuer.code_for_session(token, site.as_ref().map(|s| s.id), at)?;
    Ok(CodeView {
        rider: SessionInfo {
            name: session.rider.name.clone(),
            platform: session.rider.platform.clone(),
            expires_at: session.expires_at,
        },
        rider_id: session.rider.id.to_string(),
        code,
        site,
    })
}

/// The short form of a rider's pseudonym shown under the name: enough to read out to a
/// guard or a hotline, no photo, nothing more personal.
fn short_id(rider: &str) -> String {
    rider.chars().take(6).collect()
}

async fn code_page(
    State(issuer): State<Arc<Issuer>>,
    PageQuery(query): PageQuery<CodeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(query.lang.as_deref(), &headers);
    let w = lang.words();
    let Ok(token) = session_token(&headers) else {
        return signed_out(lang);
    };
    let site = query.site.map(SiteId);
    let view = blocking(&issuer, move |i| code_view(i, &token, site)).await;
    let view = match view {
        Ok(v) => v,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => return signed_out(lang),
        // The session is good, so the one thing that can be missing is the site.
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            return page(e.status(), html::error_page(lang, w.no_such_site));
        }
        Err(e) => {
            return page(e.status(), html::error_page(lang, &e.message()));
        }
    };
    let svg = match qr_image::svg(&view.code.code) {
        Ok(svg) => svg,
        Err(e) => {
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                html::error_page(lang, &e.to_string()),
            );
        }
    };
    let lang_query = if lang == Lang::En { "&lang=en" } else { "" };
    let site_query = view
        .site
        .as_ref()
        .map_or(String::new(), |s| format!("site={}", s.id.0));
    let help_href = match &view.site {
        Some(s) => format!("/r/help?site={}{lang_query}", s.id.0),
        None => format!("/r/help?{}", lang_query.trim_start_matches('&')),
    };
    let body = html! {
        main #code-page data-code-url={ "/r/code?" (site_query) }
            data-expires-at=(view.code.expires_at.0) data-server-time=(now().0)
            data-refresh-after=(view.code.refresh_after) data-valid-for=(w.valid_for)
            data-seconds=(w.seconds) data-offline=(w.offline) data-expired=(w.expired_offline)
            data-signed-out={ (w.signed_out) " — " (w.sign_in_again) } {
            div.bar {
                span.who { (view.rider.name) " · " (view.rider.platform) }
                (html::other_language_link(lang, &format!("/r?{site_query}")))
            }
            div.muted { (w.rider_id) " " (short_id(&view.rider_id)) }
            @if let Some(sent) = query.sent {
                p.notice { (w.help_sent) " #" (sent) }
            }
            p.site {
                @match &view.site {
                    Some(s) => { (w.only_at_site) (s.name) }
                    None => { (w.any_site) }
                }
            }
            @if view.site.is_some() {
                p.centred {
                    a #all-sites href={ "/r" (lang_query.replacen('&', "?", 1)) } {
                        (w.all_sites_link)
                    }
                }
            }
            div #qr .qr data-code-id=(view.code.code_id) aria-label=(w.show_at_gate) {
                // The QR's SVG is drawn by `qr_image` from the code's modules: fixed markup
                // and numbers only, no text of anyone's.
                (PreEscaped(svg))
            }
            p #countdown .countdown {
                (w.valid_for) " " (view.code.expires_at.since(now()).max(0)) " " (w.seconds)
            }
            p #state .state.ok role="status" {}
            p.muted.centred { (w.show_at_gate) " · " (w.refreshes_itself) }
            div.actions {
                a.button href=(help_href) { (w.help_link) }
                form method="post" action="/r/logout" {
                    button type="submit" { (w.sign_out) }
                }
            }
            @if let Some(site) = &view.site {
                (guide(lang, site, query.building.as_deref(), &format!("/r?site={}", site.id.0)))
            }
        }
    };
    // Without scripts the page still renews: a refresh a little before `refresh_after`.
    let head = html! {
        (script())
        noscript { meta http-equiv="refresh" content=(view.code.refresh_after); }
    };
    page(
        StatusCode::OK,
        html::layout(lang, w.rider_title, head, body),
    )
}

fn signed_out(lang: Lang) -> Response {
    let w = lang.words();
    let body = html! {
        main {
            h1 { (w.rider_title) }
            p.state.signed-out { (w.signed_out) }
            p { (w.sign_in_again) }
        }
    };
    page(
        StatusCode::UNAUTHORIZED,
        html::layout(lang, w.signed_out, Markup::default(), body),
    )
}

/// The page's script fetches the next code here: the code as the JSON API gives it, with
/// its QR as SVG and the issuer's clock for the countdown.
async fn code_json(
    State(issuer): State<Arc<Issuer>>,
    Query(query): Query<CodeQuery>,
    headers: HeaderMap,
) -> Response {
    let token = match session_token(&headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let site = query.site.map(SiteId);
    let code = blocking(&issuer, move |i| i.code_for_session(&token, site, now())).await;
    let code = match code {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let svg = match qr_image::svg(&code.code) {
        Ok(svg) => svg,
        Err(e) => return crate::http::ApiError::from(IssuerError::from(e)).into_response(),
    };
    let mut response = axum::Json(serde_json::json!({
        "code": code.code,
        "code_id": code.code_id,
        "issued_at": code.issued_at,
        "expires_at": code.expires_at,
        "refresh_after": code.refresh_after,
        "site": code.site,
        "svg": svg,
        "server_time": now(),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize, Default)]
struct HelpQuery {
    site: Option<u64>,
    lang: Option<String>,
}

#[derive(Deserialize)]
struct HelpForm {
    site: String,
    category: String,
    #[serde(default)]
    note: String,
    lang: Option<String>,
}

fn help_form(
    lang: Lang,
    sites: &[Site],
    chosen: Option<SiteId>,
    error: Option<&str>,
    note: &str,
) -> Markup {
    let w = lang.words();
    let back = match chosen {
        Some(s) => format!("/r?site={}", s.0),
        None => "/r".to_owned(),
    };
    let fields = html! {
        label for="site" { (w.help_site) }
        select #site name="site" required {
            @for site in sites {
                option value=(site.id.0) selected[Some(site.id) == chosen] { (site.name) }
            }
        }
        label for="category" { (w.help_category) }
        select #category name="category" {
            @for (category, words) in HelpCategory::ALL.iter().zip(w.categories) {
                option value=(category.as_str()) { (words) }
            }
        }
        label for="note" { (w.help_note) }
        textarea #note name="note" rows="4" maxlength="1000" { (note) }
        div.actions {
            button.primary type="submit" { (w.help_send) }
            a.button href=(back) { (w.back_to_code) }
        }
    };
    html::form_page(lang, w.help_title, error, "/r/help", fields)
}

async fn help_page(
    State(issuer): State<Arc<Issuer>>,
    PageQuery(query): PageQuery<HelpQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(query.lang.as_deref(), &headers);
    let Ok(token) = session_token(&headers) else {
        return signed_out(lang);
    };
    let sites = blocking(&issuer, move |i| {
        i.session(&token, now())?;
        paging::every(|page| i.sites(page))
    })
    .await;
    match sites {
        Ok(sites) => page(
            StatusCode::OK,
            help_form(lang, &sites, query.site.map(SiteId), None, ""),
        ),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => signed_out(lang),
        Err(e) => page(e.status(), html::error_page(lang, &e.message())),
    }
}

async fn ask_for_help(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    PageForm(form): PageForm<HelpForm>,
) -> Response {
    let lang = lang(form.lang.as_deref(), &headers);
    let Ok(token) = session_token(&headers) else {
        return signed_out(lang);
    };
    let site = form.site.trim().parse::<u64>().ok().map(SiteId);
    let category = HelpCategory::parse(&form.category);
    let note = form.note.clone();
    let filed = blocking(&issuer, move |i| {
        let (Some(site), Some(category)) = (site, category) else {
            return Err(IssuerError::Invalid(format!(
                "choose a site and a problem (got site {:?}, problem {:?})",
                form.site, form.category
            )));
        };
        let request = NewHelpRequest {
            site,
            category,
            note: form.note,
        };
        i.ask_for_help(&token, &request, now())
    })
    .await;
    match filed {
        // Back to the code for every site: a complaint about one site must never leave the
        // rider with a code that other gates refuse.
        Ok(id) => {
            let lang_part = if lang == Lang::En { "&lang=en" } else { "" };
            see_other(&format!("/r?sent={id}{lang_part}"))
        }
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => signed_out(lang),
        Err(e) => {
            let message = e.message();
            let token = session_token(&headers).unwrap_or_default();
            let sites = blocking(&issuer, move |i| {
                i.session(&token, now())?;
                paging::every(|page| i.sites(page))
            })
            .await
            .unwrap_or_default();
            page(
                e.status(),
                help_form(lang, &sites, site, Some(&message), &note),
            )
        }
    }
}

async fn logout(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    if let Ok(token) = session_token(&headers) {
        // Signing out must always work for the rider, even if the session is already gone.
        let _ = blocking(&issuer, move |i| i.end_session(&token)).await;
    }
    let mut response = signed_out(lang(None, &headers));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&issuer, "", 0));
    response
}
