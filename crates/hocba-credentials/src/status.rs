//! W3C Bitstring Status List v1.0: one bit per certificate (set = revoked), GZIP-compressed and
//! multibase base64url-encoded in a signed status list credential.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use crate::CredentialError;

/// The fewest entries a list may have (the Recommendation's herd-privacy minimum).
pub const MIN_ENTRIES: usize = 131_072;

/// The most entries the verifier will decompress: a bound against GZIP bombs.
const MAX_ENTRIES: usize = 64 * MIN_ENTRIES;

/// A decoded list of revocation bits.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitstring({} entries)", self.len())
    }
}

impl Bitstring {
    /// A list of `entries` (rounded up to whole bytes) with no bit set.
    pub fn new(entries: usize) -> Self {
        Bitstring { bytes: vec![0; entries.max(MIN_ENTRIES).div_ceil(8)] }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the list has no entries (never, for a valid list).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Sets the bit at `index` (index 0 is the left-most bit of the first byte).
    pub fn set(&mut self, index: usize) -> Result<(), CredentialError> {
        let byte = self
            .bytes
            .get_mut(index / 8)
            .ok_or_else(|| CredentialError::malformed("status index beyond the list"))?;
        *byte |= 0x80 >> (index % 8);
        Ok(())
    }

    /// The bit at `index`, or `None` beyond the list.
    pub fn get(&self, index: usize) -> Option<bool> {
        self.bytes.get(index / 8).map(|byte| byte & (0x80 >> (index % 8)) != 0)
    }

    /// `encodedList`: multibase base64url (`u…`) of the GZIP-compressed bits.
    pub fn encode(&self) -> String {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        // Writing to a Vec cannot fail.
        let compressed =
            gzip.write_all(&self.bytes).and_then(|()| gzip.finish()).unwrap_or_default();
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Decodes an `encodedList`, refusing lists below the minimum size or above the bound.
    pub fn decode(encoded: &str) -> Result<Self, CredentialError> {
        let compressed = encoded
            .strip_prefix('u')
            .and_then(|body| URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).ok())
            .ok_or_else(|| CredentialError::malformed("encodedList is not multibase base64url"))?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take((MAX_ENTRIES / 8 + 1) as u64)
            .read_to_end(&mut bytes)
            .map_err(|_| CredentialError::malformed("encodedList is not GZIP data"))?;
        if bytes.len() * 8 < MIN_ENTRIES || bytes.len() * 8 > MAX_ENTRIES {
            return Err(CredentialError::malformed("status list size is out of bounds"));
        }
        Ok(Bitstring { bytes })
    }
}

/// Where a credential's status lives, read from its `credentialStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The status list credential's URL.
    pub list: String,
    /// The index in that list.
    pub index: usize,
}

impl StatusEntry {
    /// The `BitstringStatusListEntry` that a credential carries.
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list, self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list,
        })
    }

    /// Reads the revocation entry of a credential: `Ok(None)` when it has none.
    pub fn of(credential: &Map<String, Value>) -> Result<Option<Self>, CredentialError> {
        let entries = match credential.get("credentialStatus") {
            None => return Ok(None),
            Some(Value::Array(entries)) => entries.iter().collect::<Vec<_>>(),
            Some(entry) => vec![entry],
        };
        let revocation = entries.into_iter().find(|entry| {
            entry["type"] == "BitstringStatusListEntry" && entry["statusPurpose"] == "revocation"
        });
        let Some(entry) = revocation else { return Ok(None) };
        let index = entry["statusListIndex"]
            .as_str()
            .and_then(|index| index.parse::<usize>().ok())
            .ok_or_else(|| {
                CredentialError::malformed("statusListIndex is not a number in a string")
            })?;
        let list = entry["statusListCredential"]
            .as_str()
            .ok_or_else(|| CredentialError::malformed("statusListCredential is missing"))?;
        Ok(Some(StatusEntry { list: list.to_owned(), index }))
    }
}

/// The unsigned status list credential for list `url` issued by `issuer`.
pub fn list_credential(
    url: &str,
    issuer: &str,
    valid_from: &str,
    bits: &Bitstring,
) -> Map<String, Value> {
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": bits.encode(),
        },
    });
    match credential {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The bits of a status list credential (whose proof the caller has checked).
pub fn bits_of(list_credential: &Map<String, Value>) -> Result<Bitstring, CredentialError> {
    let subject = &list_credential.get("credentialSubject").cloned().unwrap_or_default();
    if subject["type"] != "BitstringStatusList" || subject["statusPurpose"] != "revocation" {
        return Err(CredentialError::malformed("not a revocation BitstringStatusList credential"));
    }
    Bitstring::decode(subject["encodedList"].as_str().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_bits_survive_encoding_and_nothing_else_is_set() {
        let mut bits = Bitstring::new(MIN_ENTRIES);
        for index in [0, 7, 8, 94_567, MIN_ENTRIES - 1] {
            bits.set(index).expect("in range");
        }
        let encoded = bits.encode();
        assert!(encoded.starts_with('u'));
        let decoded = Bitstring::decode(&encoded).expect("decodes");
        assert_eq!(decoded, bits);
        assert_eq!(decoded.get(94_567), Some(true));
        assert_eq!(decoded.get(94_566), Some(false));
        assert_eq!(decoded.get(MIN_ENTRIES), None);
        assert_eq!(bits.bytes[0], 0b1000_0001, "index 0 is the left-most bit");
    }

    #[test]
    fn the_spec_example_of_an_empty_list_decodes() {
        // Bitstring Status List v1.0, §2.1 example: an empty list of 131,072 entries.
        let example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
        let decoded = Bitstring::decode(example).expect("spec example decodes");
        assert_eq!(decoded.len(), MIN_ENTRIES);
        assert!(!decoded.bytes.iter().any(|b| *b != 0));
    }

    #[test]
    fn lists_that_are_too_small_or_not_gzip_are_refused() {
        let small = {
            let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
            gzip.write_all(&[0; 16]).expect("write");
            format!("u{}", URL_SAFE_NO_PAD.encode(gzip.finish().expect("finish")))
        };
        assert!(Bitstring::decode(&small).is_err());
        assert!(Bitstring::decode("uAAAA").is_err());
        assert!(Bitstring::decode("zAAAA").is_err());
    }

    #[test]
    fn a_gzip_bomb_is_cut_off() {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
        gzip.write_all(&vec![0; MAX_ENTRIES / 8 + 4096]).expect("write");
        let bomb = format!("u{}", URL_SAFE_NO_PAD.encode(gzip.finish().expect("finish")));
        assert!(Bitstring::decode(&bomb).is_err());
    }
}
