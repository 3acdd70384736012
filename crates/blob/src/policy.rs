//! POST policies for staged uploads, in the shape of a GCS/S3 browser-upload form: the server
//! hands out a base64 JSON policy of conditions plus its HMAC, and the upload endpoint accepts a
//! form only if the signature matches, the policy has not expired, and every field meets its
//! condition.

use crate::signing::Signer;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub const ALGORITHM: &str = "GOOG4-HMAC-SHA256";
pub const DATE_FIELD: &str = "x-goog-date";
pub const CREDENTIAL_FIELD: &str = "x-goog-credential";
pub const ALGORITHM_FIELD: &str = "x-goog-algorithm";
pub const SIGNATURE_FIELD: &str = "x-goog-signature";
pub const POLICY_FIELD: &str = "policy";

/// A signed POST target: the ordered form parameters a client sends before its `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    pub parameters: Vec<(String, String)>,
}

/// What a verified form allows: where the file goes and how large it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPolicy {
    pub key: String,
    pub min_bytes: u64,
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A field the form must carry is absent (400).
    #[error("the form is missing the required field '{0}'")]
    MissingField(String),
    /// The policy is not base64 JSON of the expected shape (400).
    #[error("the policy document is malformed")]
    MalformedPolicy,
    /// The signature does not match the policy (403).
    #[error("the request signature we calculated does not match the signature you provided")]
    SignatureMismatch,
    /// The policy's expiration has passed (403).
    #[error("the policy expired at {0}")]
    Expired(String),
    /// A field differs from the value the policy fixed (403).
    #[error("invalid according to policy: policy condition failed: [\"eq\", \"${0}\", \"{1}\"]")]
    ConditionFailed(String, String),
}

impl PolicyError {
    /// Whether the form is refused as unauthorized (403) rather than malformed (400).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            Self::SignatureMismatch | Self::Expired(_) | Self::ConditionFailed(..)
        )
    }
}

impl PostPolicy {
    /// Builds the parameters for an upload of one file to `key`, valid until `expires`.
    pub fn issue(
        signer: &Signer,
        bucket: &str,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Self {
        let date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "stevedore/{}/auto/storage/goog4_request",
            now.format("%Y%m%d")
        );
        let policy = json!({
            "conditions": [
                {"Content-Type": content_type},
                {"success_action_status": "201"},
                {"acl": "private"},
                ["content-length-range", 1, max_bytes],
                {"bucket": bucket},
                {"key": key},
                {DATE_FIELD: date},
                {CREDENTIAL_FIELD: credential},
                {ALGORITHM_FIELD: ALGORITHM},
            ],
            "expiration": expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        });
        let encoded = BASE64.encode(policy.to_string());
        let signature = signer.sign_hex(encoded.as_bytes());
        let parameters = [
            ("Content-Type", content_type.to_owned()),
            ("success_action_status", "201".to_owned()),
            ("acl", "private".to_owned()),
            ("key", key.to_owned()),
            (DATE_FIELD, date),
            (CREDENTIAL_FIELD, credential),
            (ALGORITHM_FIELD, ALGORITHM.to_owned()),
            (SIGNATURE_FIELD, signature),
            (POLICY_FIELD, encoded),
        ];
        Self {
            parameters: parameters
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }

    /// Checks the form fields that preceded `file` against their signed policy.
    pub fn verify(
        signer: &Signer,
        bucket: &str,
        fields: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<VerifiedPolicy, PolicyError> {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(field, _)| field.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        let required =
            |name: &str| field(name).ok_or_else(|| PolicyError::MissingField(name.to_owned()));
        let encoded = required(POLICY_FIELD)?;
        let signature = required(SIGNATURE_FIELD)?;
        if !signer.verify_hex(encoded.as_bytes(), signature) {
            return Err(PolicyError::SignatureMismatch);
        }
        let document: Value = BASE64
            .decode(encoded)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(PolicyError::MalformedPolicy)?;
        let expiration = document["expiration"]
            .as_str()
            .ok_or(PolicyError::MalformedPolicy)?;
        let expires =
            DateTime::parse_from_rfc3339(expiration).map_err(|_| PolicyError::MalformedPolicy)?;
        if expires <= now {
            return Err(PolicyError::Expired(expiration.to_owned()));
        }
        let conditions = document["conditions"]
            .as_array()
            .ok_or(PolicyError::MalformedPolicy)?;
        let mut key = None;
        let mut range = (0, u64::MAX);
        for condition in conditions {
            match condition {
                Value::Object(pairs) => {
                    for (name, expected) in pairs {
                        let expected = expected.as_str().ok_or(PolicyError::MalformedPolicy)?;
                        // The bucket is implied by the endpoint; every other condition is a form field.
                        if name == "bucket" {
                            if expected != bucket {
                                return Err(PolicyError::ConditionFailed(
                                    name.clone(),
                                    expected.to_owned(),
                                ));
                            }
                            continue;
                        }
                        let actual = required(name)?;
                        if actual != expected {
                            return Err(PolicyError::ConditionFailed(
                                name.clone(),
                                expected.to_owned(),
                            ));
                        }
                        if name == "key" {
                            key = Some(actual.to_owned());
                        }
                    }
                }
                Value::Array(parts)
                    if parts.first().and_then(Value::as_str) == Some("content-length-range") =>
                {
                    let bound = |index: usize| {
                        parts
                            .get(index)
                            .and_then(Value::as_u64)
                            .ok_or(PolicyError::MalformedPolicy)
                    };
                    range = (bound(1)?, bound(2)?);
                }
                _ => return Err(PolicyError::MalformedPolicy),
            }
        }
        let key = key.ok_or(PolicyError::MalformedPolicy)?;
        Ok(VerifiedPolicy {
            key,
            min_bytes: range.0,
            max_bytes: range.1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn issued(now: DateTime<Utc>) -> (Signer, PostPolicy) {
        let signer = Signer::new("server secret");
        let policy = PostPolicy::issue(
            &signer,
            "stevedore",
            "tmp/1/bulk/abc/vars.jsonl",
            "text/jsonl",
            104_857_600,
            now,
            now + TimeDelta::hours(24),
        );
        (signer, policy)
    }

    #[test]
    fn parameters_come_in_the_documented_order() {
        let (_, policy) = issued(Utc::now());
        let names: Vec<&str> = policy
            .parameters
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "success_action_status",
                "acl",
                "key",
                "x-goog-date",
                "x-goog-credential",
                "x-goog-algorithm",
                "x-goog-signature",
                "policy"
            ]
        );
    }

    #[test]
    fn the_issued_form_verifies() {
        let now = Utc::now();
        let (signer, policy) = issued(now);
        let verified = PostPolicy::verify(&signer, "stevedore", &policy.parameters, now).unwrap();
        assert_eq!(verified.key, "tmp/1/bulk/abc/vars.jsonl");
        assert_eq!((verified.min_bytes, verified.max_bytes), (1, 104_857_600));
    }

    #[test]
    fn tampering_expiry_and_omissions_are_refused() {
        let now = Utc::now();
        let (signer, policy) = issued(now);
        let with = |name: &str, value: &str| {
            let mut fields = policy.parameters.clone();
            fields
                .iter_mut()
                .filter(|(field, _)| field == name)
                .for_each(|(_, v)| *v = value.to_owned());
            fields
        };
        let verify =
            |fields: &[(String, String)], at| PostPolicy::verify(&signer, "stevedore", fields, at);

        assert_eq!(
            verify(&with("x-goog-signature", "00"), now),
            Err(PolicyError::SignatureMismatch)
        );
        assert!(
            matches!(verify(&with("key", "tmp/2/bulk/x/y"), now), Err(PolicyError::ConditionFailed(name, _)) if name == "key")
        );
        assert!(matches!(
            verify(&policy.parameters, now + TimeDelta::hours(25)),
            Err(PolicyError::Expired(_))
        ));
        let without_acl: Vec<_> = policy
            .parameters
            .iter()
            .filter(|(name, _)| name != "acl")
            .cloned()
            .collect();
        assert_eq!(
            verify(&without_acl, now),
            Err(PolicyError::MissingField("acl".to_owned()))
        );
        assert!(
            PostPolicy::verify(&Signer::new("other"), "stevedore", &policy.parameters, now)
                .is_err()
        );
    }
}
