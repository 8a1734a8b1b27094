//! Signing in with a browser: OpenID Connect providers (ProConnect and others), server-side
//! sessions held by an `HttpOnly` cookie, and, in demo mode only, a page that signs in as a
//! seeded demo user.
//!
//! Routes: `GET /auth/login[?provider=NAME&return_to=/path]`, `GET /auth/callback`,
//! `POST /auth/logout`, `GET /auth/logged-out`, `GET|POST /auth/demo`, and `GET /` (who is
//! signed in).

pub mod oidc;
pub mod pages;

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::service::demo;
use crate::service::sessions::{self, COOKIE, LOGIN_COOKIE, Lifetimes, Refusal};
use crate::service::users;
use crate::startup::AppState;
use pages::{escape, page, refusal};

/// The provider name of sessions opened on the demo page.
const DEMO_PROVIDER: &str = "demo";

/// Sign-in settings and the configured providers.
pub struct SignIn {
    /// The OpenID providers, by configured name.
    pub providers: Vec<Arc<oidc::Provider>>,
    /// Session lifetimes.
    pub lifetimes: Lifetimes,
    /// Cookies carry `Secure` (browsers send them over HTTPS, and to `localhost`, only).
    pub secure_cookies: bool,
}

impl SignIn {
    fn provider(&self, name: &str) -> Option<&Arc<oidc::Provider>> {
        self.providers.iter().find(|p| p.config.name == name)
    }
}

impl SignIn {
    /// The actor of a bearer token issued by a configured provider (`None` when no provider
    /// issued it): verified by the provider's keys, for this client, unexpired, and naming a
    /// person who may sign in (as at `/auth/callback`).
    pub async fn provider_bearer(
        &self,
        db: &sea_orm::DatabaseConnection,
        token: &str,
        clock: &crate::clock::Clock,
    ) -> Result<Option<crate::auth::Actor>, crate::error::AppError> {
        use crate::error::AppError;
        let Some(issuer) = oidc::claimed_issuer(token) else {
            return Ok(None);
        };
        let trimmed = |url: &str| url.trim_end_matches('/').to_owned();
        let Some(provider) = self
            .providers
            .iter()
            .find(|p| trimmed(&p.config.issuer) == trimmed(&issuer))
        else {
            return Ok(None);
        };
        let identity = provider
            .verify_bearer(token, clock.now())
            .await
            .map_err(|err| AppError::Unauthenticated(format!("the token is not valid: {err}")))?;
        // ID tokens given with an access token often carry no e-mail (it is at the userinfo
        // endpoint): the person is then known by the subject their sign-in bound.
        let user = if identity.email.is_none() {
            sessions::bound_user(db, &provider.config.name, &identity.subject)
                .await?
                .ok_or_else(|| {
                    AppError::Unauthenticated(
                        "this token names nobody maillage knows: sign in once at /auth/login, \
                         or use a token that carries the e-mail address"
                            .into(),
                    )
                })?
        } else {
            sessions::admit(
                db,
                &provider.config.name,
                &identity.subject,
                identity.email.as_deref(),
                identity.email_verified,
                clock,
            )
            .await?
            .map_err(|refused| AppError::Unauthenticated(refused.to_string()))?
        };
        Ok(Some(users::load_actor(db, users::bearer_of(&user)).await?))
    }
}

/// The routes of signing in.
pub fn routes() -> axum::Router<Arc<AppState>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
        .route("/auth/logged-out", get(logged_out))
        .route("/auth/demo", get(demo_page).post(demo_sign_in))
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` when configured; `max_age` 0
/// deletes the cookie.
fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether a cookie-authenticated request comes from a page of this site or of a configured
/// origin: its `Origin` names this server's host (`Host`), or one of `origins`. A request
/// without `Origin` is refused: browsers send it on every POST.
pub fn same_origin(headers: &HeaderMap, origins: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if origins.iter().any(|o| o == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

/// A redirect (303) to `location`.
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `return_to` if it is a path of this server, else `/`.
fn local_path(return_to: Option<&str>) -> String {
    match return_to {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.len() <= 512
                && path.chars().all(|c| !c.is_control()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// An internal failure, as a page (the details are in the log).
fn failed(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "sign-in failed");
    refusal(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Sign-in failed",
        "Something went wrong on our side; try again in a moment.",
    )
}

#[derive(Deserialize)]
struct LoginParams {
    provider: Option<String>,
    return_to: Option<String>,
}

/// `GET /auth/login`: the list of ways to sign in, or, with `provider`, the start of a
/// sign-in there.
async fn login(State(state): State<Arc<AppState>>, Query(params): Query<LoginParams>) -> Response {
    let signin = &state.signin;
    let return_to = local_path(params.return_to.as_deref());
    let Some(name) = params.provider else {
        let mut body = String::from("<ul>");
        for provider in &signin.providers {
            body.push_str(&format!(
                "<li><a class=\"button\" href=\"/auth/login?provider={}&amp;return_to={}\">Sign in with {}</a></li>",
                escape(&provider.config.name),
                escape(&url_encode(&return_to)),
                escape(&provider.config.label)
            ));
        }
        if state.demo {
            body.push_str("<li><a href=\"/auth/demo\">Demo accounts</a></li>");
        }
        body.push_str("</ul>");
        if signin.providers.is_empty() && !state.demo {
            body = "<p>No identity provider is configured on this server \
                    (MAILLAGE_OIDC_PROVIDERS).</p>"
                .into();
        }
        return page(StatusCode::OK, "Sign in to maillage", &body);
    };
    let Some(provider) = signin.provider(&name) else {
        return refusal(
            StatusCode::NOT_FOUND,
            "Unknown provider",
            &format!("No identity provider named '{name}' is configured."),
        );
    };
    let begun = match provider.begin().await {
        Ok(begun) => begun,
        Err(err) => {
            tracing::warn!(provider = %name, error = %err, "sign-in cannot start");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "Provider unreachable",
                &format!(
                    "{} does not answer at the moment; try again in a moment.",
                    provider.config.label
                ),
            );
        }
    };
    if let Err(err) = sessions::remember_login(
        &state.db,
        &provider.config.name,
        &begun.state,
        &begun.nonce,
        &begun.pkce_verifier,
        &return_to,
        state.clock.now(),
    )
    .await
    {
        return failed(err.message());
    }
    let mut response = see_other(begun.url.as_str());
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LOGIN_COOKIE,
            &begun.state,
            "/auth",
            Some(sessions::LOGIN_TIMEOUT.num_seconds()),
            signin.secure_cookies,
        ),
    );
    response
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the provider sends the browser back here with a code.
async fn callback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let signin = &state.signin;
    let bad = |reason: &str| {
        tracing::warn!(%reason, "sign-in refused");
        refusal(StatusCode::BAD_REQUEST, "Sign-in refused", reason)
    };
    let Some(login_state) = params.state.as_deref() else {
        return bad("The provider's answer has no 'state'.");
    };
    let attempt = match sessions::take_login(&state.db, login_state, state.clock.now()).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            return bad(
                "This sign-in link is unknown, was already used, or has expired: sign in again.",
            );
        }
        Err(err) => return failed(err.message()),
    };
    // The browser that comes back must be the one that left (login CSRF).
    if cookie(&headers, LOGIN_COOKIE).as_deref() != Some(login_state) {
        return bad("This sign-in was not started in this browser: sign in again.");
    }
    if let Some(error) = params.error {
        let detail = params.error_description.unwrap_or_default();
        return bad(&format!("The provider ended the sign-in: {error} {detail}"));
    }
    let Some(code) = params.code.as_deref() else {
        return bad("The provider's answer has no code.");
    };
    let Some(provider) = signin.provider(&attempt.provider) else {
        return bad("This provider is no longer configured.");
    };
    let identity = match provider
        .finish(
            code,
            &attempt.pkce_verifier,
            &attempt.nonce,
            state.clock.now(),
        )
        .await
    {
        Ok(identity) => identity,
        Err(err) => {
            tracing::warn!(provider = %attempt.provider, error = %err, "sign-in refused");
            return refusal(
                StatusCode::UNAUTHORIZED,
                "Sign-in refused",
                &err.to_string(),
            );
        }
    };
    let user = match sessions::admit(
        &state.db,
        &attempt.provider,
        &identity.subject,
        identity.email.as_deref(),
        identity.email_verified,
        &state.clock,
    )
    .await
    {
        Ok(Ok(user)) => user,
        Ok(Err(refused)) => {
            tracing::warn!(
                provider = %attempt.provider,
                subject = %identity.subject,
                reason = %refused,
                "sign-in refused"
            );
            let status = match refused {
                Refusal::NoEmail | Refusal::Unverified(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::FORBIDDEN,
            };
            return refusal(status, "Access refused", &refused.to_string());
        }
        Err(err) => return failed(err.message()),
    };
    tracing::info!(
        provider = %attempt.provider,
        user_id = user.id,
        claims = %serde_json::Value::Object(identity.extra.clone()),
        "signed in"
    );
    let value = match sessions::open(
        &state.db,
        &user,
        &attempt.provider,
        Some(identity.id_token),
        signin.lifetimes,
        &state.clock,
    )
    .await
    {
        Ok(value) => value,
        Err(err) => return failed(err.message()),
    };
    signed_in(signin, &value, &attempt.return_to)
}

/// The redirect that ends a sign-in: the session cookie set, the sign-in cookie cleared.
fn signed_in(signin: &SignIn, value: &str, return_to: &str) -> Response {
    let mut response = see_other(return_to);
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            COOKIE,
            value,
            "/",
            Some(signin.lifetimes.absolute.num_seconds()),
            signin.secure_cookies,
        ),
    );
    headers.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", "/auth", Some(0), signin.secure_cookies),
    );
    response
}

/// `POST /auth/logout`: ends the session, then signs out at the provider when it supports
/// RP-initiated logout.
async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !same_origin(&headers, &state.cors_origins) {
        return refusal(
            StatusCode::FORBIDDEN,
            "Sign-out refused",
            "This request did not come from a page of this site.",
        );
    }
    let mut location = "/auth/logged-out".to_owned();
    if let Some(value) = cookie(&headers, COOKIE) {
        match sessions::close(&state.db, &value).await {
            Ok(Some(session)) => {
                if let Some(provider) = state.signin.provider(&session.provider)
                    && let Some(url) = provider.logout_url(session.id_token.as_deref()).await
                {
                    location = url.to_string();
                }
            }
            Ok(None) => {}
            Err(err) => return failed(err.message()),
        }
    }
    let mut response = see_other(&location);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(COOKIE, "", "/", Some(0), state.signin.secure_cookies),
    );
    response
}

/// `GET /auth/logged-out`.
async fn logged_out() -> Response {
    page(
        StatusCode::OK,
        "You are signed out",
        "<p><a href=\"/auth/login\">Sign in again</a></p>",
    )
}

/// `GET /auth/demo`: in demo mode, sign in as one of the seeded demo users.
async fn demo_page(State(state): State<Arc<AppState>>) -> Response {
    if !state.demo {
        return refusal(
            StatusCode::NOT_FOUND,
            "Not found",
            "Demo accounts exist in demo mode only.",
        );
    }
    let mut body = String::from(
        "<p>Demo server: pick an account (each sees its own slice of the network).</p><ul>",
    );
    for user in &demo::USERS {
        let role: &str = user.role.into();
        body.push_str(&format!(
            "<li><form method=\"post\" action=\"/auth/demo\">\
             <input type=\"hidden\" name=\"email\" value=\"{email}\">\
             <button>{role} — {email}</button></form></li>",
            email = escape(user.email),
        ));
    }
    body.push_str("</ul>");
    page(StatusCode::OK, "Demo accounts", &body)
}

#[derive(Deserialize)]
struct DemoForm {
    email: String,
}

/// `POST /auth/demo`: opens a session for a demo user (demo mode only).
async fn demo_sign_in(State(state): State<Arc<AppState>>, Form(form): Form<DemoForm>) -> Response {
    if !state.demo || !demo::USERS.iter().any(|u| u.email == form.email) {
        return refusal(
            StatusCode::NOT_FOUND,
            "Unknown account",
            "Demo accounts exist in demo mode only, and this is not one of them.",
        );
    }
    let user = match users::find_by_email(&state.db, &form.email).await {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => {
            return refusal(
                StatusCode::FORBIDDEN,
                "Access refused",
                &Refusal::Unknown(form.email).to_string(),
            );
        }
        Err(err) => return failed(err),
    };
    match sessions::open(
        &state.db,
        &user,
        DEMO_PROVIDER,
        None,
        state.signin.lifetimes,
        &state.clock,
    )
    .await
    {
        Ok(value) => signed_in(&state.signin, &value, "/"),
        Err(err) => failed(err.message()),
    }
}
