//! Fernet as the OpenMetadata server uses it to encrypt stored secrets: values `fernet:<token>`,
//! the key from `FERNET_KEY` (`fernetConfiguration.fernetKey`).
//!
//! Facts from the server's `Fernet.java`: the configured key is standard base64 (the shipped
//! default `jJ/9sz0g…=` has a `/`), turned into base64url without padding before use; it may
//! be a comma-separated list where the first key encrypts and every key decrypts; the value
//! `no_encryption_at_rest` turns encryption off; tokens never expire. A token is the Fernet
//! spec's `0x80 | timestamp (8) | IV (16) | AES-128-CBC ciphertext | HMAC-SHA256 (32)` in
//! base64url. Keys and tokens are read in either alphabet, with or without padding.
//!
//! Plaintext never leaves this module: [`KeyRing::opens`] only says whether a token decrypts.

use std::fmt;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The key in the server's docker-compose files, Helm chart and openmetadata.yaml default.
pub const DEFAULT_KEY: &str = "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA=";
/// What marks an encrypted value in the entity JSON.
pub const PREFIX: &str = "fernet:";
/// The `FERNET_KEY` value that turns encryption off.
pub const NO_ENCRYPTION: &str = "no_encryption_at_rest";

const VERSION: u8 = 0x80;
const HEADER: usize = 1 + 8 + 16;
const MAC: usize = 32;

type HmacSha256 = Hmac<Sha256>;
type Decryptor = cbc::Decryptor<aes::Aes128>;
type Encryptor = cbc::Encryptor<aes::Aes128>;

/// One 32-byte key: signing half, encryption half.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

impl Key {
    fn fingerprint(&self) -> String {
        use sha2::Digest;
        let mut hash = Sha256::new();
        hash.update(b"om-upgrade fernet key fingerprint\0");
        hash.update(self.signing);
        hash.update(self.encryption);
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Why a configured key cannot be used (the server would refuse it too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("it is empty")]
    Empty,
    #[error("key {position} of the list is not base64")]
    NotBase64 { position: usize },
    #[error(
        "key {position} of the list is {bytes} bytes long; a Fernet key is 32 bytes (44 base64 characters)"
    )]
    WrongLength { position: usize, bytes: usize },
}

/// Why a token does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a Fernet token (not base64, or too short)")]
    Malformed,
    #[error("not a Fernet token (unknown version byte)")]
    Version,
    #[error("none of the keys signed it")]
    WrongKey,
    #[error("its padding is broken")]
    Padding,
}

/// The keys of `FERNET_KEY`, in order.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing(Vec<Key>);

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRing({} keys)", self.0.len())
    }
}

/// Base64 in either alphabet, padding optional.
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let normal: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(normal)
        .ok()
}

impl KeyRing {
    /// Parses a `FERNET_KEY` value: one key or a comma-separated list.
    pub fn parse(text: &str) -> Result<KeyRing, KeyError> {
        let keys = text
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
            .map(|(i, part)| {
                let position = i + 1;
                let bytes = decode_b64(part).ok_or(KeyError::NotBase64 { position })?;
                let bytes: [u8; 32] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| KeyError::WrongLength {
                            position,
                            bytes: bytes.len(),
                        })?;
                let mut signing = [0; 16];
                let mut encryption = [0; 16];
                signing.copy_from_slice(&bytes[..16]);
                encryption.copy_from_slice(&bytes[16..]);
                Ok(Key {
                    signing,
                    encryption,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(KeyRing(keys))
    }

    /// The fingerprint of the key that signed `value` (`fernet:<token>`), when one of these
    /// did: see [`KeyRing::fingerprints`].
    pub fn signer_fingerprint(&self, value: &str) -> Option<String> {
        let token = value.strip_prefix(PREFIX).unwrap_or(value);
        let bytes = decode_b64(token)?;
        if bytes.len() < HEADER + 16 + MAC {
            return None;
        }
        let (signed, tag) = bytes.split_at(bytes.len() - MAC);
        self.0
            .iter()
            .find(|key| {
                let mut mac =
                    HmacSha256::new_from_slice(&key.signing).expect("HMAC takes any key length");
                mac.update(signed);
                mac.verify_slice(tag).is_ok()
            })
            .map(Key::fingerprint)
    }

    /// One fingerprint per key: 16 hex digits of a SHA-256 over a fixed label and the key,
    /// which tells two keys apart and gives nothing of either away.
    pub fn fingerprints(&self) -> Vec<String> {
        self.0.iter().map(Key::fingerprint).collect()
    }

    /// Whether one of the keys is the public default (in whichever spelling).
    pub fn holds_default(&self) -> bool {
        let default = KeyRing::parse(DEFAULT_KEY).expect("the default key parses");
        self.0.iter().any(|k| *k == default.0[0])
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one of the keys decrypts `value` (`fernet:<token>` or a bare token). The
    /// plaintext is wiped and dropped here; it is never returned.
    pub fn opens(&self, value: &str) -> Result<(), TokenError> {
        let mut plaintext = self.decrypt(value)?;
        plaintext.fill(0);
        Ok(())
    }

    fn decrypt(&self, value: &str) -> Result<Vec<u8>, TokenError> {
        let token = value.strip_prefix(PREFIX).unwrap_or(value);
        let bytes = decode_b64(token).ok_or(TokenError::Malformed)?;
        if bytes.len() < HEADER + 16 + MAC || !(bytes.len() - HEADER - MAC).is_multiple_of(16) {
            return Err(TokenError::Malformed);
        }
        if bytes[0] != VERSION {
            return Err(TokenError::Version);
        }
        let (signed, tag) = bytes.split_at(bytes.len() - MAC);
        let key = self
            .0
            .iter()
            .find(|key| {
                let mut mac =
                    HmacSha256::new_from_slice(&key.signing).expect("HMAC takes any key length");
                mac.update(signed);
                mac.verify_slice(tag).is_ok()
            })
            .ok_or(TokenError::WrongKey)?;
        let iv: [u8; 16] = signed[9..HEADER].try_into().expect("16 bytes");
        let mut buffer = signed[HEADER..].to_vec();
        let length = Decryptor::new(&key.encryption.into(), &iv.into())
            .decrypt_padded::<Pkcs7>(&mut buffer)
            .map_err(|_| TokenError::Padding)?
            .len();
        buffer.truncate(length);
        Ok(buffer)
    }

    /// `fernet:<token>` of `plaintext` under the first key, as the server writes it (for
    /// rehearsal data: tests and sample databases).
    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let mut iv = [0u8; 16];
        getrandom::fill(&mut iv).expect("the operating system provides random bytes");
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.encrypt_with(plaintext, iv, timestamp)
    }

    fn encrypt_with(&self, plaintext: &[u8], iv: [u8; 16], timestamp: u64) -> String {
        let key = &self.0[0];
        let mut buffer = vec![0u8; plaintext.len() + 16 - plaintext.len() % 16];
        let ciphertext = Encryptor::new(&key.encryption.into(), &iv.into())
            .encrypt_padded_b2b::<Pkcs7>(plaintext, &mut buffer)
            .expect("the buffer holds the padded plaintext");
        let mut token = Vec::with_capacity(HEADER + ciphertext.len() + MAC);
        token.push(VERSION);
        token.extend_from_slice(&timestamp.to_be_bytes());
        token.extend_from_slice(&iv);
        token.extend_from_slice(ciphertext);
        let mut mac = HmacSha256::new_from_slice(&key.signing).expect("HMAC takes any key length");
        mac.update(&token);
        token.extend_from_slice(&mac.finalize().into_bytes());
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE.encode(token)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with the `cryptography` package's Fernet (the Python side of OpenMetadata) from
    /// the default key in base64url, timestamp 1700000000, IV 00 01 … 0f.
    const REFERENCE_TOKEN: &str = "gAAAAABlU_EAAAECAwQFBgcICQoLDA0ODz8gebUqkk27y9iO8YXmUzay9perY70hJrZCE63I2SaZhxIK_opCakg8AVi_sJTuBJYo0dKuPreyaMJ3IAykpUY=";
    const REFERENCE_PLAINTEXT: &[u8] = b"om-upgrade vector";

    fn iv() -> [u8; 16] {
        std::array::from_fn(|i| i as u8)
    }

    #[test]
    fn the_default_key_opens_a_token_made_by_the_reference_implementation() {
        let ring = KeyRing::parse(DEFAULT_KEY).unwrap();
        assert_eq!(ring.decrypt(REFERENCE_TOKEN).unwrap(), REFERENCE_PLAINTEXT);
        assert_eq!(ring.opens(&format!("{PREFIX}{REFERENCE_TOKEN}")), Ok(()));
        // Same bytes out as the reference, so the server and ingestion read ours.
        assert_eq!(
            ring.encrypt_with(REFERENCE_PLAINTEXT, iv(), 1_700_000_000),
            format!("{PREFIX}{REFERENCE_TOKEN}")
        );
    }

    #[test]
    fn keys_read_in_both_alphabets_with_or_without_padding() {
        let url_safe = DEFAULT_KEY.replace('/', "_").replace('+', "-");
        let unpadded = url_safe.trim_end_matches('=');
        for spelling in [DEFAULT_KEY, url_safe.as_str(), unpadded] {
            let ring = KeyRing::parse(spelling).unwrap();
            assert!(ring.holds_default(), "{spelling}");
            assert!(ring.opens(REFERENCE_TOKEN).is_ok());
        }
    }

    #[test]
    fn a_list_decrypts_with_any_key_and_encrypts_with_the_first() {
        let other = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let ring = KeyRing::parse(&format!("{other}, {DEFAULT_KEY}")).unwrap();
        assert_eq!(ring.len(), 2);
        assert!(ring.holds_default());
        assert!(ring.opens(REFERENCE_TOKEN).is_ok());
        let fresh = ring.encrypt(b"x");
        let only_other = KeyRing::parse(&other).unwrap();
        assert!(only_other.opens(&fresh).is_ok());
        assert!(!only_other.holds_default());
        assert_eq!(only_other.opens(REFERENCE_TOKEN), Err(TokenError::WrongKey));
    }

    #[test]
    fn bad_keys_and_tokens_say_why() {
        assert_eq!(KeyRing::parse(" , "), Err(KeyError::Empty));
        assert_eq!(
            KeyRing::parse("not base64 !"),
            Err(KeyError::NotBase64 { position: 1 })
        );
        assert_eq!(
            KeyRing::parse("c2hvcnQ="),
            Err(KeyError::WrongLength {
                position: 1,
                bytes: 5
            })
        );
        let ring = KeyRing::parse(DEFAULT_KEY).unwrap();
        assert_eq!(ring.opens("fernet:abc"), Err(TokenError::Malformed));
        let mut tampered = REFERENCE_TOKEN.to_string();
        tampered.replace_range(40..41, if &tampered[40..41] == "A" { "B" } else { "A" });
        assert_eq!(ring.opens(&tampered), Err(TokenError::WrongKey));
        assert!(!format!("{ring:?}").contains(DEFAULT_KEY));
    }
}
