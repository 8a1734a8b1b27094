//! Encryption at rest of citizens' content (issue 18, RGPD art. 32).
//!
//! A support request's subject, case, citizen's name and details, its messages' text and its
//! attachments (name and bytes) are sealed with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`: an AEAD with 192-bit random nonces, safe to draw at random for every
//! value) before they reach the database, and opened only where the API returns them.
//!
//! - **Keys**: 256-bit data keys, base64-encoded, from `MAILLAGE_DATA_KEY` (with
//!   `MAILLAGE_DATA_KEY_PREVIOUS`) or a key file (`MAILLAGE_DATA_KEY_FILE`: the current key on
//!   its first line, previous keys on the next ones); in demo mode a key is generated beside
//!   the SQLite file. Each data key derives, by HMAC-SHA-256 with distinct labels, its
//!   encryption key, its blind-index key and its public id (8 hex digits).
//! - **Sealed values** say which key sealed them: text is `enc1:<key id>:<base64 of nonce and
//!   ciphertext>`, bytes are `MSE1`, the 4 bytes of the key id, the nonce and the ciphertext.
//!   The column's name is the associated data, so a value moved to another column does not
//!   open. Each row also stores its `key_id` (NULL for clear text), which rotation selects on
//!   and start-up checks.
//! - **Clear text** (rows written before encryption, erased content) opens as itself:
//!   `maillage rotate-key` seals it.
//! - **Searching a citizen** goes through a blind index: the keyed hash of their folded name,
//!   one per known key while a rotation runs. Dashboards never read content.

use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{AppError, AppResult};

/// Sealed content that does not open: a missing key, an altered or malformed value. An
/// internal error to API clients (logged with the detail, never sent).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SealError(String);

fn refused(message: String) -> AppError {
    AppError::Internal(SealError(message).into())
}

/// Prefix of a sealed text value.
const TEXT_PREFIX: &str = "enc1:";
/// First bytes of a sealed binary value.
const BYTES_MAGIC: &[u8; 4] = b"MSE1";
/// Length of a nonce.
const NONCE_LEN: usize = 24;

/// A column holding sealed content: its name is the associated data of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `support_request.subject`.
    Subject,
    /// `support_request.description`.
    Description,
    /// `support_request.citizen_name`.
    CitizenName,
    /// `support_request.citizen_details`.
    CitizenDetails,
    /// `support_message.body`.
    MessageBody,
    /// `support_attachment.file_name`.
    FileName,
    /// `support_attachment.content`.
    FileContent,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Subject => b"support_request.subject",
            Self::Description => b"support_request.description",
            Self::CitizenName => b"support_request.citizen_name",
            Self::CitizenDetails => b"support_request.citizen_details",
            Self::MessageBody => b"support_message.body",
            Self::FileName => b"support_attachment.file_name",
            Self::FileContent => b"support_attachment.content",
        }
    }
}

/// One data key and what it derives.
struct DataKey {
    id: String,
    id_bytes: [u8; 4],
    cipher: XChaCha20Poly1305,
    index: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id)
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    // A 32-byte key is always a valid HMAC key.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl DataKey {
    fn new(master: &[u8; 32]) -> Self {
        let id_hash = derive(master, b"maillage data key id v1");
        let id_bytes = [id_hash[0], id_hash[1], id_hash[2], id_hash[3]];
        let encryption = derive(master, b"maillage content encryption v1");
        Self {
            id: hex::encode(id_bytes),
            id_bytes,
            cipher: XChaCha20Poly1305::new(&encryption.into()),
            index: derive(master, b"maillage blind index v1"),
        }
    }

    fn blind(&self, folded: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("any key");
        mac.update(folded.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// The data keys in use: the current one seals, every one opens.
#[derive(Clone, Debug)]
pub struct Vault(Arc<Keys>);

#[derive(Debug)]
struct Keys {
    current: DataKey,
    previous: Vec<DataKey>,
}

/// Decodes a base64 data key (32 bytes); `what` names it in the error.
pub fn decode_key(text: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(text.trim())
        .with_context(|| format!("{what} is not base64 (make one with `maillage new-data-key`)"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "{what} must be 32 bytes, base64-encoded (it is {} bytes; make one with `maillage new-data-key`)",
            bytes.len()
        )
    })
}

/// A new random data key, base64-encoded.
pub fn new_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

impl Vault {
    /// The vault of `current` (which seals) and `previous` keys (which still open).
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        let current = DataKey::new(current);
        let previous = previous
            .iter()
            .map(DataKey::new)
            .filter(|key| key.id != current.id)
            .collect();
        Self(Arc::new(Keys { current, previous }))
    }

    /// A vault from a key file's text: the current key on the first line, previous keys on
    /// the next ones (blank lines and `#` comments are skipped).
    pub fn from_key_file(text: &str, file: &std::path::Path) -> anyhow::Result<Self> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .enumerate()
            .map(|(i, line)| decode_key(line, &format!("line {} of {}", i + 1, file.display())))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let (current, previous) = keys
            .split_first()
            .with_context(|| format!("the key file {} holds no key", file.display()))?;
        Ok(Self::new(current, previous))
    }

    /// Id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.0.current.id
    }

    /// Ids of every key, the current one first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys().map(|key| key.id.as_str()).collect()
    }

    fn keys(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.0.current).chain(&self.0.previous)
    }

    fn key(&self, id: &str) -> AppResult<&DataKey> {
        self.keys().find(|key| key.id == id).ok_or_else(|| {
            refused(format!(
                "citizens' content sealed with data key {id}, which is not configured"
            ))
        })
    }

    fn seal(&self, field: Field, clear: &[u8]) -> ([u8; NONCE_LEN], Vec<u8>) {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .0
            .current
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: clear,
                    aad: field.label(),
                },
            )
            // Encryption fails only on inputs beyond 256 GiB.
            .expect("XChaCha20-Poly1305 seals any value of a row");
        (nonce, sealed)
    }

    fn open(&self, key: &DataKey, field: Field, nonce: &[u8], sealed: &[u8]) -> AppResult<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| {
            refused(format!(
                "a sealed {} value is truncated",
                String::from_utf8_lossy(field.label())
            ))
        })?;
        key.cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: field.label(),
                },
            )
            .map_err(|_| {
                refused(format!(
                    "a sealed {} value does not open with data key {}: it was altered or moved",
                    String::from_utf8_lossy(field.label()),
                    key.id
                ))
            })
    }

    /// `clear` sealed with the current key, as stored.
    pub fn seal_text(&self, field: Field, clear: &str) -> String {
        let (nonce, sealed) = self.seal(field, clear.as_bytes());
        let mut payload = nonce.to_vec();
        payload.extend_from_slice(&sealed);
        format!(
            "{TEXT_PREFIX}{}:{}",
            self.0.current.id,
            STANDARD_NO_PAD.encode(payload)
        )
    }

    /// The clear text of a stored value. `sealed_with` is the row's `key_id`: `None` for
    /// text stored clear (before encryption, or erased), which reads as it is.
    pub fn open_text(
        &self,
        field: Field,
        stored: &str,
        sealed_with: Option<&str>,
    ) -> AppResult<String> {
        if sealed_with.is_none() {
            return Ok(stored.to_owned());
        }
        let malformed = || {
            refused(format!(
                "a sealed {} value is malformed",
                String::from_utf8_lossy(field.label())
            ))
        };
        let rest = stored.strip_prefix(TEXT_PREFIX).ok_or_else(malformed)?;
        let (id, payload) = rest.split_once(':').ok_or_else(malformed)?;
        let payload = STANDARD_NO_PAD.decode(payload).map_err(|_| malformed())?;
        if payload.len() < NONCE_LEN {
            return Err(malformed());
        }
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let clear = self.open(self.key(id)?, field, nonce, sealed)?;
        String::from_utf8(clear).map_err(|_| malformed())
    }

    /// [`Self::open_text`] of an optional value.
    pub fn open_optional(
        &self,
        field: Field,
        stored: Option<&str>,
        sealed_with: Option<&str>,
    ) -> AppResult<Option<String>> {
        stored
            .map(|s| self.open_text(field, s, sealed_with))
            .transpose()
    }

    /// `clear` bytes sealed with the current key, as stored.
    pub fn seal_bytes(&self, field: Field, clear: &[u8]) -> Vec<u8> {
        let (nonce, sealed) = self.seal(field, clear);
        let mut stored = Vec::with_capacity(8 + NONCE_LEN + sealed.len());
        stored.extend_from_slice(BYTES_MAGIC);
        stored.extend_from_slice(&self.0.current.id_bytes);
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        stored
    }

    /// The clear bytes of a stored value. `sealed_with` is the row's `key_id`: `None` for
    /// bytes stored clear (any file may start like a sealed one).
    pub fn open_bytes(
        &self,
        field: Field,
        stored: &[u8],
        sealed_with: Option<&str>,
    ) -> AppResult<Vec<u8>> {
        if sealed_with.is_none() {
            return Ok(stored.to_vec());
        }
        let malformed = || {
            refused(format!(
                "a sealed {} value is malformed",
                String::from_utf8_lossy(field.label())
            ))
        };
        let rest = stored.strip_prefix(BYTES_MAGIC).ok_or_else(malformed)?;
        if rest.len() < 4 + NONCE_LEN {
            return Err(malformed());
        }
        let (id, rest) = rest.split_at(4);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.open(self.key(&hex::encode(id))?, field, nonce, sealed)
    }

    /// The blind-index value of a citizen's name under the current key.
    pub fn citizen_key(&self, name: &str) -> String {
        self.0.current.blind(&fold_citizen(name))
    }

    /// The blind-index values of a citizen's name under every key (a rotation may be
    /// halfway).
    pub fn citizen_keys(&self, name: &str) -> Vec<String> {
        let folded = fold_citizen(name);
        self.keys().map(|key| key.blind(&folded)).collect()
    }
}

/// A citizen's name as compared: accents and case folded, spaces collapsed.
pub fn fold_citizen(name: &str) -> String {
    crate::domain::text::search_key(name)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(seed: u8) -> Vault {
        Vault::new(&[seed; 32], &[])
    }

    #[test]
    fn sealed_text_opens_only_with_its_key_and_column() {
        let a = vault(1);
        let sealed = a.seal_text(Field::CitizenName, "Jeanne Dupont");
        assert!(sealed.starts_with(&format!("enc1:{}:", a.current_id())));
        assert!(!sealed.contains("Dupont"));
        let id = Some(a.current_id());
        assert_eq!(
            a.open_text(Field::CitizenName, &sealed, id).expect("opens"),
            "Jeanne Dupont"
        );
        // Two seals of the same text differ (random nonces).
        assert_ne!(sealed, a.seal_text(Field::CitizenName, "Jeanne Dupont"));
        // Another column's value does not open here.
        assert!(a.open_text(Field::Subject, &sealed, id).is_err());
        // Another key does not open it; with the old key as a previous one, it does.
        let b = vault(2);
        assert!(b.open_text(Field::CitizenName, &sealed, id).is_err());
        let rotated = Vault::new(&[2; 32], &[[1; 32]]);
        assert_eq!(
            rotated
                .open_text(Field::CitizenName, &sealed, id)
                .expect("opens"),
            "Jeanne Dupont"
        );
        // A flipped character is refused.
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(a.open_text(Field::CitizenName, &altered, id).is_err());
        // Clear text (written before encryption) reads as itself, even if it looks sealed.
        assert_eq!(
            a.open_text(Field::Subject, "RSA", None).expect("clear"),
            "RSA"
        );
        assert_eq!(
            a.open_text(Field::Subject, &sealed, None).expect("clear"),
            sealed
        );
        // A row said to be sealed whose value is not is refused.
        assert!(a.open_text(Field::Subject, "RSA", id).is_err());
    }

    #[test]
    fn sealed_bytes_round_trip_and_clear_bytes_stay() {
        let a = vault(3);
        let file = b"%PDF-1.4 Dupont".to_vec();
        let sealed = a.seal_bytes(Field::FileContent, &file);
        assert!(!sealed.windows(6).any(|w| w == b"Dupont"));
        let id = a.current_id().to_owned();
        assert_eq!(
            a.open_bytes(Field::FileContent, &sealed, Some(&id))
                .expect("opens"),
            file
        );
        assert_eq!(
            a.open_bytes(Field::FileContent, &file, None)
                .expect("clear"),
            file
        );
        assert!(a.open_bytes(Field::FileName, &sealed, Some(&id)).is_err());
    }

    #[test]
    fn the_blind_index_folds_names_and_depends_on_the_key() {
        let a = vault(4);
        assert_eq!(
            a.citizen_key(" jeanne  DUPONT "),
            a.citizen_key("Jéanne Dupont")
        );
        assert_ne!(a.citizen_key("Jeanne Dupont"), a.citizen_key("Jean Dupont"));
        assert_ne!(
            a.citizen_key("Jeanne Dupont"),
            vault(5).citizen_key("Jeanne Dupont")
        );
        let rotated = Vault::new(&[5; 32], &[[4; 32]]);
        assert_eq!(
            rotated.citizen_keys("Jeanne Dupont"),
            vec![
                vault(5).citizen_key("Jeanne Dupont"),
                a.citizen_key("Jeanne Dupont")
            ]
        );
    }

    #[test]
    fn keys_are_32_bytes_of_base64() {
        assert!(decode_key(&new_key(), "k").is_ok());
        assert!(decode_key("c2hvcnQ=", "k").is_err());
        assert!(decode_key("not base64!", "k").is_err());
        let file = std::path::Path::new("keys");
        let text = format!("# current\n{}\n\n{}\n", new_key(), new_key());
        assert_eq!(
            Vault::from_key_file(&text, file)
                .expect("two keys")
                .ids()
                .len(),
            2
        );
        assert!(Vault::from_key_file("# none\n", file).is_err());
    }
}
