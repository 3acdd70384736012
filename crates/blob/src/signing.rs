//! HMAC-SHA256 signatures with the deployment's secret: for POST policies and for download links.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Signs and verifies with one server secret. Verification compares in constant time.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    fn mac(&self, message: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts keys of any length");
        mac.update(message);
        mac
    }

    /// Lower-case hex HMAC-SHA256 of `message`.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        hex::encode(self.mac(message).finalize().into_bytes())
    }

    pub fn verify_hex(&self, message: &[u8], signature_hex: &str) -> bool {
        let Ok(signature) = hex::decode(signature_hex) else {
            return false;
        };
        self.mac(message).verify_slice(&signature).is_ok()
    }

    /// The message a link signs: the method it allows, the object key, and its expiry.
    fn link_message(method: &str, key: &str, expires_unix: i64) -> Vec<u8> {
        format!("{method}\n{key}\n{expires_unix}").into_bytes()
    }

    /// Signs a link that lets its holder `GET` (download) or `PUT` (upload) one object until
    /// `expires_unix`.
    pub fn sign_link(&self, method: &str, key: &str, expires_unix: i64) -> String {
        self.sign_hex(&Self::link_message(method, key, expires_unix))
    }

    pub fn verify_link(
        &self,
        method: &str,
        key: &str,
        expires_unix: i64,
        signature_hex: &str,
    ) -> bool {
        self.verify_hex(
            &Self::link_message(method, key, expires_unix),
            signature_hex,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_signatures_bind_method_key_and_expiry() {
        let signer = Signer::new("secret");
        let signature = signer.sign_link("GET", "results/1/bulk-1.jsonl", 1_800_000_000);
        assert!(signer.verify_link("GET", "results/1/bulk-1.jsonl", 1_800_000_000, &signature));
        assert!(!signer.verify_link("PUT", "results/1/bulk-1.jsonl", 1_800_000_000, &signature));
        assert!(!signer.verify_link("GET", "results/1/bulk-2.jsonl", 1_800_000_000, &signature));
        assert!(!signer.verify_link("GET", "results/1/bulk-1.jsonl", 1_800_000_001, &signature));
        assert!(!Signer::new("other").verify_link(
            "GET",
            "results/1/bulk-1.jsonl",
            1_800_000_000,
            &signature
        ));
        assert!(!signer.verify_link("GET", "results/1/bulk-1.jsonl", 1_800_000_000, "zz"));
    }
}
