//! Attachments to support requests: what is accepted, checked on the bytes
//! themselves, and the checksum that proves they are kept intact.

use sha2::{Digest, Sha256};

/// Largest attachment accepted, in bytes (4 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 4 * 1024 * 1024;

/// The accepted types and the signature their content must start with.
const ACCEPTED: [(&str, &[u8]); 3] = [
    ("application/pdf", b"%PDF-"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xFF\xD8\xFF"),
];

/// Why a file is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The name is empty, too long, or holds a path or control characters.
    Name,
    /// The type is not one we accept.
    Type,
    /// The content does not match its declared type.
    Content,
    /// Empty or larger than [`MAX_ATTACHMENT_BYTES`].
    Size,
}

impl Refusal {
    /// A message for the user.
    pub fn message(&self) -> String {
        match self {
            Self::Name => {
                "a file name is 1 to 200 characters, without '/', '\\' or control characters".into()
            }
            Self::Type => "accepted files are PDF, PNG and JPEG".into(),
            Self::Content => "the file's content does not match its declared type".into(),
            Self::Size => format!(
                "a file holds 1 byte to {} MiB",
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
        }
    }
}

/// Checks a file; returns its hex SHA-256.
pub fn check(name: &str, content_type: &str, bytes: &[u8]) -> Result<String, Refusal> {
    let name_ok = !name.trim().is_empty()
        && name.chars().count() <= 200
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if !name_ok {
        return Err(Refusal::Name);
    }
    let (_, signature) = ACCEPTED
        .iter()
        .find(|(t, _)| *t == content_type)
        .ok_or(Refusal::Type)?;
    if bytes.is_empty() || bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Refusal::Size);
    }
    if !bytes.starts_with(signature) {
        return Err(Refusal::Content);
    }
    Ok(checksum(bytes))
}

/// Hex SHA-256 of `bytes`.
pub fn checksum(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_on_their_bytes() {
        let pdf = b"%PDF-1.7 hello";
        assert_eq!(
            check("avis.pdf", "application/pdf", pdf).map(|s| s.len()),
            Ok(64)
        );
        assert_eq!(
            check("avis.pdf", "application/pdf", b"MZ\x90\x00"),
            Err(Refusal::Content)
        );
        assert_eq!(
            check("run.exe", "application/x-msdownload", b"MZ"),
            Err(Refusal::Type)
        );
        assert_eq!(
            check("../etc/passwd", "application/pdf", pdf),
            Err(Refusal::Name)
        );
        assert_eq!(
            check("vide.pdf", "application/pdf", b""),
            Err(Refusal::Size)
        );
        let big = [b"%PDF-".as_slice(), &vec![0u8; MAX_ATTACHMENT_BYTES]].concat();
        assert_eq!(
            check("gros.pdf", "application/pdf", &big),
            Err(Refusal::Size)
        );
    }
}
