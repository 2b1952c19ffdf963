//! Encryption of channel credentials at rest (AES-256-GCM, random 96-bit nonce per value).
//!
//! Key rotation: a box holds the current key and, while a rotation is under way, previous keys. It encrypts and
//! signs with the current key only, and decrypts and verifies with any of them; `omnisync secrets rotate`
//! re-encrypts every stored value under the current key, after which the previous keys can go.

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

/// Holds the keys; cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    current: Key,
    /// Keys of a rotation under way: they still decrypt and verify, never encrypt or sign.
    previous: Vec<Key>,
}

#[derive(Clone)]
struct Key {
    cipher: Aes256Gcm,
    /// Key for message authentication (OAuth `state`), derived from the same secret but never used to encrypt.
    mac_key: [u8; 32],
}

impl Key {
    fn from_text(text: &str) -> Result<Self, SecretError> {
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

    fn decrypt(&self, nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok()
    }

    fn verifies(&self, message: &str, tag: &[u8]) -> bool {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key) else { return false };
        mac.update(message.as_bytes());
        mac.verify_truncated_left(tag).is_ok()
    }
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key_text(text: &str) -> Result<Self, SecretError> {
        Ok(Self { current: Key::from_text(text)?, previous: Vec::new() })
    }

    /// This box, also decrypting what `previous` keys encrypted (a rotation under way).
    pub fn with_previous<'a>(mut self, previous: impl IntoIterator<Item = &'a str>) -> Result<Self, SecretError> {
        for text in previous.into_iter().filter(|t| !t.trim().is_empty()) {
            self.previous.push(Key::from_text(text)?);
        }
        Ok(self)
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
            // A rotation that stopped before its end left the previous key beside it: it still decrypts.
            Ok(text) => Self::from_key_text(&text)?
                .with_previous(std::fs::read_to_string(previous_key_file(path)).ok().as_deref()),
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
        let ciphertext = self.current.cipher.encrypt(Nonce::from_slice(&nonce), plaintext).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}", BASE64.encode(out))
    }

    /// An authentication tag for `message` (hex), e.g. to sign an OAuth `state` the hub gets back later.
    pub fn mac(&self, message: &str) -> String {
        crate::channels::hmac_sha256_hex(&self.current.mac_key, message.as_bytes())
    }

    /// Whether `tag_hex` (`mac`'s hex, or its first bytes: at least 16) authenticates `message`; the MAC compares in
    /// constant time.
    pub fn verify_mac(&self, message: &str, tag_hex: &str) -> bool {
        let Ok(tag) = hex::decode(tag_hex) else { return false };
        tag.len() >= 16 && self.keys().any(|key| key.verifies(message, &tag))
    }

    fn keys(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, SecretError> {
        let body = stored.strip_prefix(VERSION_PREFIX).ok_or(SecretError::Undecryptable)?;
        let bytes = BASE64.decode(body).map_err(|_| SecretError::Undecryptable)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.keys().find_map(|key| key.decrypt(nonce, ciphertext)).ok_or(SecretError::Undecryptable)
    }
}

/// Where an embedded rotation keeps the key it replaces until every value is re-encrypted.
pub fn previous_key_file(key_file: &Path) -> std::path::PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".previous");
    std::path::PathBuf::from(name)
}

/// Starts rotating an embedded key file: the current key is kept as `<key>.previous`, a new one replaces it
/// (written beside, then renamed over it). Returns the box that encrypts with the new key and decrypts with both.
/// A crash at any point leaves a pair of files `load_or_create` reads back into such a box.
pub fn begin_key_file_rotation(key_file: &Path) -> Result<SecretBox, SecretError> {
    // A rotation that did not end: finish that one (its previous key may still be needed), do not start another.
    if previous_key_file(key_file).exists() {
        return SecretBox::load_or_create(None, Some(key_file), true);
    }
    let io_err = |source| SecretError::KeyFile { path: key_file.display().to_string(), source };
    let old = std::fs::read_to_string(key_file).map_err(io_err)?;
    SecretBox::from_key_text(&old)?;
    write_private_file(&previous_key_file(key_file), &old).map_err(io_err)?;
    let new = SecretBox::generate_key_text();
    let mut next = key_file.as_os_str().to_owned();
    next.push(".next");
    let next = std::path::PathBuf::from(next);
    write_private_file(&next, &new).map_err(io_err)?;
    std::fs::rename(&next, key_file).map_err(io_err)?;
    SecretBox::from_key_text(&new)?.with_previous([old.as_str()])
}

/// Ends an embedded rotation once every value is re-encrypted: the previous key file goes.
pub fn end_key_file_rotation(key_file: &Path) -> Result<(), SecretError> {
    match std::fs::remove_file(previous_key_file(key_file)) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SecretError::KeyFile { path: key_file.display().to_string(), source }),
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
    fn during_a_rotation_old_values_decrypt_and_new_ones_use_the_new_key() {
        let (old_text, new_text) = (SecretBox::generate_key_text(), SecretBox::generate_key_text());
        let old = SecretBox::from_key_text(&old_text).expect("key");
        let sealed_before = old.encrypt(b"token");
        let tag_before = old.mac("state:1");
        let rotating =
            SecretBox::from_key_text(&new_text).expect("key").with_previous([old_text.as_str()]).expect("keys");
        assert_eq!(rotating.decrypt(&sealed_before).expect("old value"), b"token");
        assert!(rotating.verify_mac("state:1", &tag_before[..32]), "a state signed before the rotation");
        let sealed_after = rotating.encrypt(b"token");
        let new_only = SecretBox::from_key_text(&new_text).expect("key");
        assert_eq!(new_only.decrypt(&sealed_after).expect("new key"), b"token");
        assert!(old.decrypt(&sealed_after).is_err(), "encrypted with the new key only");
        assert!(!rotating.verify_mac("state:2", &tag_before[..32]), "a tag of another message");
        assert!(!rotating.verify_mac("state:1", &tag_before[..16]), "8 bytes are too few");
    }

    #[test]
    fn an_embedded_rotation_keeps_the_old_key_until_it_ends() {
        let dir = std::env::temp_dir().join(format!("omnisync-rotate-{}", ulid::Ulid::generate()));
        let path = dir.join("omnisync.key");
        let first = SecretBox::load_or_create(None, Some(&path), true).expect("create");
        let stored = first.encrypt(b"x");
        let rotating = begin_key_file_rotation(&path).expect("begun");
        assert_eq!(rotating.decrypt(&stored).expect("old value"), b"x");
        // A process starting now (or after a crash) reads both keys back.
        let reloaded = SecretBox::load_or_create(None, Some(&path), true).expect("reload");
        assert_eq!(reloaded.decrypt(&stored).expect("old value"), b"x");
        let resealed = rotating.encrypt(b"x");
        end_key_file_rotation(&path).expect("ended");
        let after = SecretBox::load_or_create(None, Some(&path), true).expect("reload");
        assert_eq!(after.decrypt(&resealed).expect("new value"), b"x");
        assert!(after.decrypt(&stored).is_err(), "the old key is gone");
        let _ = std::fs::remove_dir_all(dir);
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
