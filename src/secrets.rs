//! Encryption of channel credentials at rest (AES-256-GCM, random 96-bit nonce per value).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use std::path::Path;

const VERSION_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("OMNISYNC_SECRET_KEY must be 32 bytes written as base64 or 64 hex digits")]
    BadKey,
    #[error("OMNISYNC_SECRET_KEY is required with PostgreSQL (the embedded mode alone generates a key file)")]
    KeyRequired,
    #[error("cannot read or write the key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("a stored secret could not be decrypted (wrong key or damaged value)")]
    Undecryptable,
}

/// Holds the key; cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// Key for message authentication (OAuth `state`), derived from the same secret but never used to encrypt.
    mac_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key_text(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SecretError::BadKey)?
        } else {
            BASE64.decode(text).map_err(|_| SecretError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        let mac_key = {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            hasher.update(b"omnisync mac key v1");
            hasher.update(key);
            hasher.finalize().into()
        };
        Ok(Self { cipher: Aes256Gcm::new(&key.into()), mac_key })
    }

    /// A fresh random key in the text form `from_key_text` reads.
    pub fn generate_key_text() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        BASE64.encode(key)
    }

    /// The key given in settings; else, in embedded mode, the key file beside the database (created on first
    /// start); else (in-memory database) a key that lives as long as the process.
    pub fn load_or_create(given: Option<&str>, key_file: Option<&Path>, embedded: bool) -> Result<Self, SecretError> {
        if let Some(text) = given {
            return Self::from_key_text(text);
        }
        if !embedded {
            return Err(SecretError::KeyRequired);
        }
        let Some(path) = key_file else {
            return Self::from_key_text(&Self::generate_key_text());
        };
        let io_err = |source| SecretError::KeyFile { path: path.display().to_string(), source };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_key_text(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let text = Self::generate_key_text();
                write_private_file(path, &text).map_err(io_err)?;
                Self::from_key_text(&text)
            }
            Err(err) => Err(io_err(err)),
        }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce length cannot fail; an empty ciphertext would fail decryption.
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}", BASE64.encode(out))
    }

    /// An authentication tag for `message` (hex), e.g. to sign an OAuth `state` the hub gets back later.
    pub fn mac(&self, message: &str) -> String {
        crate::channels::hmac_sha256_hex(&self.mac_key, message.as_bytes())
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, SecretError> {
        let body = stored.strip_prefix(VERSION_PREFIX).ok_or(SecretError::Undecryptable)?;
        let bytes = BASE64.decode(body).map_err(|_| SecretError::Undecryptable)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| SecretError::Undecryptable)
    }
}

fn write_private_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        file.write_all(text.as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_value_round_trips_and_differs_each_time() {
        let secrets = SecretBox::from_key_text(&SecretBox::generate_key_text()).expect("key");
        let a = secrets.encrypt(b"app_secret=abc");
        let b = secrets.encrypt(b"app_secret=abc");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("abc"));
        assert_eq!(secrets.decrypt(&a).expect("decrypt"), b"app_secret=abc");
    }

    #[test]
    fn a_value_from_another_key_or_tampered_is_refused() {
        let one = SecretBox::from_key_text(&SecretBox::generate_key_text()).expect("key");
        let two = SecretBox::from_key_text(&SecretBox::generate_key_text()).expect("key");
        let stored = one.encrypt(b"token");
        assert!(matches!(two.decrypt(&stored), Err(SecretError::Undecryptable)));
        let mut tampered = stored.clone();
        tampered.pop();
        tampered.push(if stored.ends_with('A') { 'B' } else { 'A' });
        assert!(one.decrypt(&tampered).is_err());
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_and_bad_keys_refused() {
        assert!(SecretBox::from_key_text(&"ab".repeat(32)).is_ok());
        assert!(SecretBox::from_key_text("too-short").is_err());
        assert!(matches!(SecretBox::load_or_create(None, None, false), Err(SecretError::KeyRequired)));
    }

    #[test]
    fn embedded_mode_creates_the_key_file_once_and_reuses_it() {
        let dir = std::env::temp_dir().join(format!("omnisync-key-{}", ulid::Ulid::generate()));
        let path = dir.join("omnisync.key");
        let first = SecretBox::load_or_create(None, Some(&path), true).expect("create");
        let stored = first.encrypt(b"x");
        let second = SecretBox::load_or_create(None, Some(&path), true).expect("reuse");
        assert_eq!(second.decrypt(&stored).expect("same key"), b"x");
        let _ = std::fs::remove_dir_all(dir);
    }
}
