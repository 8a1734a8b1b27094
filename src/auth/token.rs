//! Bearer tokens: HS256 JWTs whose subject is the user id. They say who the user is, never
//! what they may do.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

const ISSUER: &str = "maillage";
/// Shortest secret accepted from `MAILLAGE_JWT_SECRET`.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    /// The user's token epoch when the token was issued (see `app_user.token_epoch`).
    #[serde(default)]
    epoch: i32,
}

/// Clock skew tolerated between the issuer and this server for `iat` and `nbf`.
const LEEWAY_SECONDS: i64 = 60;
/// Longest lifetime `maillage token` gives a token.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Who a valid token speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bearer {
    /// The user's id.
    pub user_id: i64,
    /// The user's token epoch when it was issued.
    pub epoch: i32,
}

/// Keys that sign and check tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = 0;
        // Expiry is checked against the application's clock in `verify`, not the system's.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A token for `bearer`, issued at `now` and valid for `ttl`.
    pub fn issue(
        &self,
        bearer: Bearer,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let now = now.timestamp();
        let ttl = i64::try_from(ttl.as_secs()).context("Token lifetime is too long")?;
        let claims = Claims {
            sub: bearer.user_id.to_string(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now.checked_add(ttl).context("Token lifetime is too long")?,
            nbf: None,
            epoch: bearer.epoch,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .context("Failed to sign the token")
    }

    /// Who a token valid at `now` speaks for; `UNAUTHENTICATED` otherwise (also for a token
    /// issued, or valid only from, more than a minute in the future).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Bearer, AppError> {
        let invalid = || AppError::Unauthenticated("the token is not valid".into());
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid())?;
        let now = now.timestamp();
        if data.claims.exp <= now {
            return Err(AppError::Unauthenticated("the token has expired".into()));
        }
        let ahead = now.saturating_add(LEEWAY_SECONDS);
        if data.claims.iat > ahead || data.claims.nbf.is_some_and(|nbf| nbf > ahead) {
            return Err(AppError::Unauthenticated(
                "the token is not valid yet (issued in the future)".into(),
            ));
        }
        Ok(Bearer {
            user_id: data.claims.sub.parse().map_err(|_| invalid())?,
            epoch: data.claims.epoch,
        })
    }
}

/// Where the signing secret came from.
pub enum SecretSource {
    /// `MAILLAGE_JWT_SECRET`.
    Configured(String),
    /// Demo mode: generated once and kept in this file beside the SQLite database.
    DemoFile(std::path::PathBuf),
}

/// The signing secret for this configuration, and whether we run in demo mode.
///
/// Without `MAILLAGE_JWT_SECRET`, only the embedded SQLite database may run (demo mode):
/// the secret is generated once and kept in `<database file>.jwt-secret`.
pub fn resolve_secret(
    configured: Option<&str>,
    database_url: &str,
) -> anyhow::Result<(Vec<u8>, SecretSource)> {
    if let Some(secret) = configured {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_LEN,
            "MAILLAGE_JWT_SECRET must be at least {MIN_SECRET_LEN} bytes long"
        );
        return Ok((
            secret.as_bytes().to_vec(),
            SecretSource::Configured(secret.to_owned()),
        ));
    }
    let Some(db_file) = crate::db::sqlite_file(database_url) else {
        anyhow::bail!(
            "MAILLAGE_JWT_SECRET is not set: it is required unless the database is an embedded SQLite file (demo mode)"
        );
    };
    let path = secret_file_beside(db_file);
    let secret = match std::fs::read_to_string(&path) {
        Ok(existing) => existing.trim().to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let generated = generate_secret();
            write_private(&path, &generated)
                .with_context(|| format!("Failed to write the demo secret {}", path.display()))?;
            generated
        }
        Err(err) => {
            return Err(err).with_context(|| format!("Failed to read {}", path.display()));
        }
    };
    anyhow::ensure!(
        secret.len() >= MIN_SECRET_LEN,
        "the demo secret in {} is too short; delete the file to regenerate it",
        path.display()
    );
    Ok((secret.into_bytes(), SecretSource::DemoFile(path)))
}

/// The demo secret file of a SQLite `database_url` (`<db file>.jwt-secret`), if it is one.
pub fn demo_secret_file(database_url: &str) -> Option<std::path::PathBuf> {
    crate::db::sqlite_file(database_url).map(secret_file_beside)
}

fn secret_file_beside(db_file: std::path::PathBuf) -> std::path::PathBuf {
    let mut path = db_file.into_os_string();
    path.push(".jwt-secret");
    std::path::PathBuf::from(path)
}

/// 256 random bits, hex-encoded.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `contents` to a new file `path` readable by its owner only (0600 on Unix).
pub fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_secret_only() {
        let keys = TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let clock = Utc::now();
        let bearer = Bearer {
            user_id: 42,
            epoch: 3,
        };
        let token = keys
            .issue(bearer, Duration::from_secs(60), clock)
            .expect("sign");
        assert_eq!(keys.verify(&token, clock).expect("valid"), bearer);
        let other = TokenKeys::from_secret(b"fedcba9876543210fedcba9876543210");
        assert!(matches!(
            other.verify(&token, clock),
            Err(AppError::Unauthenticated(_))
        ));
        assert!(matches!(
            keys.verify("garbage", clock),
            Err(AppError::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_token_expires_by_the_clock_it_is_checked_against() {
        let keys = TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let issued = DateTime::parse_from_rfc3339("2031-12-31T23:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let bearer = Bearer {
            user_id: 7,
            epoch: 0,
        };
        let token = keys
            .issue(bearer, Duration::from_secs(3600), issued)
            .expect("sign");
        let just_before = issued + chrono::TimeDelta::seconds(3599);
        assert_eq!(keys.verify(&token, just_before).expect("valid"), bearer);
        // Issued more than the leeway after the verifier's now: refused.
        let early = issued - chrono::TimeDelta::seconds(61);
        assert!(matches!(
            keys.verify(&token, early),
            Err(AppError::Unauthenticated(m)) if m.contains("future")
        ));
        assert!(
            keys.verify(&token, issued - chrono::TimeDelta::seconds(59))
                .is_ok()
        );
        let at_expiry = issued + chrono::TimeDelta::seconds(3600);
        assert!(matches!(
            keys.verify(&token, at_expiry),
            Err(AppError::Unauthenticated(m)) if m.contains("expired")
        ));
    }
}
