//! The OpenID Connect relying party, on the `openidconnect` crate: discovery, the
//! authorization code flow with PKCE, `state` and `nonce`, and the ID token's checks
//! (signature against the provider's JWKS, RS256 or ES256; issuer, audience, expiry, nonce).
//! Nothing cryptographic is written here.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, ensure};
use chrono::{DateTime, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreUserInfoClaims};
use openidconnect::{
    AccessToken, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use tokio::sync::RwLock;
use url::Url;

/// One configured provider, as set in the environment.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Name used in URLs and in the database (`proconnect`).
    pub name: String,
    /// Label on the sign-in page (`ProConnect`).
    pub label: String,
    /// Issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Client id registered at the provider.
    pub client_id: String,
    /// Client secret registered at the provider.
    pub client_secret: String,
    /// This server's callback, registered at the provider: `https://HOST/auth/callback`.
    pub redirect_url: String,
    /// Scopes asked for (`openid` is always sent).
    pub scopes: Vec<String>,
}

impl ProviderConfig {
    /// Where the provider sends the browser back after logout: `/auth/logged-out` on the
    /// callback's host.
    pub fn post_logout_url(&self) -> anyhow::Result<Url> {
        let mut url = Url::parse(&self.redirect_url)?;
        url.set_path("/auth/logged-out");
        url.set_query(None);
        Ok(url)
    }

    /// The providers named in `MAILLAGE_OIDC_PROVIDERS` (comma-separated), each configured by
    /// `MAILLAGE_OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_REDIRECT_URL`, and
    /// optionally `_SCOPES` (default `openid email profile`) and `_LABEL`.
    pub fn from_env() -> anyhow::Result<Vec<Self>> {
        let Ok(names) = std::env::var("MAILLAGE_OIDC_PROVIDERS") else {
            return Ok(Vec::new());
        };
        let mut providers = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            ensure!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "MAILLAGE_OIDC_PROVIDERS: '{name}' is not a provider name (letters, digits, '-', '_')"
            );
            let prefix = format!(
                "MAILLAGE_OIDC_{}_",
                name.to_ascii_uppercase().replace('-', "_")
            );
            let var = |key: &str| {
                std::env::var(format!("{prefix}{key}"))
                    .with_context(|| format!("{prefix}{key} is not set (provider '{name}')"))
            };
            let config = Self {
                name: name.to_ascii_lowercase(),
                label: var("LABEL").unwrap_or_else(|_| name.to_owned()),
                issuer: var("ISSUER")?,
                client_id: var("CLIENT_ID")?,
                client_secret: var("CLIENT_SECRET")?,
                redirect_url: var("REDIRECT_URL")?,
                scopes: var("SCOPES")
                    .unwrap_or_else(|_| "openid email profile".into())
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            };
            config.check()?;
            providers.push(config);
        }
        Ok(providers)
    }

    /// Refuses a configuration that cannot work, naming the variable.
    pub fn check(&self) -> anyhow::Result<()> {
        IssuerUrl::new(self.issuer.clone())
            .with_context(|| format!("provider '{}': the issuer is not a URL", self.name))?;
        let redirect = Url::parse(&self.redirect_url)
            .with_context(|| format!("provider '{}': the redirect URL is not a URL", self.name))?;
        ensure!(
            redirect.path() == "/auth/callback",
            "provider '{}': the redirect URL must end in /auth/callback (it is {})",
            self.name,
            self.redirect_url
        );
        Ok(())
    }
}

type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What discovery gave: the client and the logout endpoint.
struct Discovered {
    client: Rp,
    end_session: Option<Url>,
}

/// A configured provider and what was discovered of it (cached; fetched again when an ID
/// token names a key the cached JWKS does not hold).
pub struct Provider {
    /// Its configuration.
    pub config: ProviderConfig,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

/// A sign-in begun: where to send the browser, and what the callback must check.
pub struct Begun {
    /// The provider's authorization URL.
    pub url: Url,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
}

/// Who the provider says signed in (from the verified ID token, and the userinfo endpoint
/// when the ID token has no e-mail, as ProConnect does).
#[derive(Debug, Default)]
pub struct Identity {
    /// `sub`.
    pub subject: String,
    /// `email`.
    pub email: Option<String>,
    /// `email_verified`, when sent.
    pub email_verified: Option<bool>,
    /// ProConnect's `given_name`, `usual_name`, `uid`, `siret`, `idp_id`, where present.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// The raw ID token, kept for `id_token_hint` at logout.
    pub id_token: String,
}

/// Why a callback failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The provider cannot be reached or answered badly.
    #[error("the provider cannot be reached: {0}")]
    Unreachable(String),
    /// The code was refused (used already, expired, or for another client).
    #[error("the provider refused the sign-in code: {0}")]
    CodeRefused(String),
    /// The ID token failed a check.
    #[error("the provider's ID token is not valid: {0}")]
    InvalidToken(String),
}

const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

impl Provider {
    /// A provider; nothing is fetched until the first sign-in.
    pub fn new(config: ProviderConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // The OpenID specs forbid following redirects on these endpoints (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()?;
        Ok(Self {
            config,
            http,
            discovered: RwLock::new(None),
        })
    }

    async fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, Failure> {
        if !refresh && let Some(found) = self.discovered.read().await.clone() {
            return Ok(found);
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| Failure::Unreachable(error_chain(&e)))?;
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|u| u.url().clone());
        let redirect = RedirectUrl::new(self.config.redirect_url.clone())
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        let found = Arc::new(Discovered {
            client,
            end_session,
        });
        *self.discovered.write().await = Some(found.clone());
        Ok(found)
    }

    /// Starts a sign-in: a fresh `state`, `nonce` and PKCE pair, and the URL to send the
    /// browser to.
    pub async fn begin(&self) -> Result<Begun, Failure> {
        let discovered = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Begun {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges `code` (with the PKCE verifier), verifies the ID token
    /// at `now` against `nonce`, and reads who signed in.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, Failure> {
        let discovered = self.discovered(false).await?;
        let response = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Failure::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::CodeRefused(error_chain(&e)))?;
        let token = response
            .id_token()
            .ok_or_else(|| Failure::InvalidToken("the token response has no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let verify = |client: &Rp| {
            let verifier = client.id_token_verifier().set_time_fn(move || now);
            token.claims(&verifier, &nonce).cloned()
        };
        let (claims, discovered) = self.verified(discovered, verify).await?;
        let mut identity = Identity {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified(),
            extra: verified_payload(&token.to_string()),
            id_token: token.to_string(),
        };
        if identity.email.is_none() {
            let info = self
                .user_info(&discovered, response.access_token(), &claims)
                .await?;
            identity.email = info.email().map(|e| e.to_string());
            identity.email_verified = info.email_verified();
        }
        identity.extra.retain(|key, _| {
            matches!(
                key.as_str(),
                "given_name" | "usual_name" | "uid" | "siret" | "idp_id"
            )
        });
        Ok(identity)
    }

    async fn user_info(
        &self,
        discovered: &Discovered,
        access_token: &AccessToken,
        claims: &openidconnect::core::CoreIdTokenClaims,
    ) -> Result<CoreUserInfoClaims, Failure> {
        discovered
            .client
            .user_info(access_token.clone(), Some(claims.subject().clone()))
            .map_err(|e| Failure::InvalidToken(format!("no e-mail, and {e}")))?
            .request_async(&self.http)
            .await
            .map_err(|e| Failure::Unreachable(error_chain(&e)))
    }

    /// Who a bearer token issued by this provider speaks for: a JWT signed with the provider's
    /// keys (JWKS, fetched again for an unknown key), issued by it, for this client (`aud`),
    /// not expired at `now`. Used by API clients that hold an ID token of the provider.
    pub async fn verify_bearer(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, Failure> {
        let discovered = self.discovered(false).await?;
        let parsed: openidconnect::core::CoreIdToken = token
            .parse()
            .map_err(|_| Failure::InvalidToken("not a JWT".into()))?;
        let verify = |client: &Rp| {
            let verifier = client.id_token_verifier().set_time_fn(move || now);
            // A bearer token answers no sign-in of ours: there is no nonce to compare.
            let any_nonce = |_: Option<&Nonce>| Ok(());
            parsed.claims(&verifier, any_nonce).cloned()
        };
        let (claims, _) = self.verified(discovered, verify).await?;
        Ok(Identity {
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified(),
            extra: Default::default(),
            id_token: String::new(),
        })
    }

    /// The claims `verify` checks with the discovered client, checked again with freshly
    /// discovered keys when the token names a key the cached JWKS does not hold (the provider
    /// rotated its keys); and the client that checked them.
    async fn verified<T>(
        &self,
        discovered: Arc<Discovered>,
        verify: impl Fn(&Rp) -> Result<T, ClaimsVerificationError>,
    ) -> Result<(T, Arc<Discovered>), Failure> {
        let (claims, discovered) = match verify(&discovered.client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = self.discovered(true).await?;
                (verify(&fresh.client), fresh)
            }
            other => (other, discovered),
        };
        Ok((
            claims.map_err(|e| Failure::InvalidToken(e.to_string()))?,
            discovered,
        ))
    }

    /// The provider's logout URL for a session signed in with `id_token`, if the provider
    /// supports RP-initiated logout.
    pub async fn logout_url(&self, id_token: Option<&str>) -> Option<Url> {
        let discovered = self.discovered(false).await.ok()?;
        let mut url = discovered.end_session.clone()?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("client_id", &self.config.client_id);
            if let Ok(back) = self.config.post_logout_url() {
                query.append_pair("post_logout_redirect_uri", back.as_str());
            }
            if let Some(hint) = id_token {
                query.append_pair("id_token_hint", hint);
            }
        }
        Some(url)
    }
}

/// The issuer a JWT claims, unverified: only to route a bearer token to the provider whose
/// keys then verify it.
pub fn claimed_issuer(token: &str) -> Option<String> {
    verified_payload(token)
        .get("iss")
        .and_then(|iss| iss.as_str())
        .map(str::to_owned)
}

/// The claims of an ID token whose signature and claims `openidconnect` has just verified,
/// as JSON: the crate's typed claims drop the ones it does not know (ProConnect's
/// `usual_name`, `siret`, `idp_id`…).
fn verified_payload(token: &str) -> serde_json::Map<String, serde_json::Value> {
    use base64::Engine;
    token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
