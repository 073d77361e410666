//! How a certificate's signed credential is kept: packed with Zstandard and a dictionary of what
//! every credential repeats.
//!
//! A credential is about 4.6 KB of JSON, and most of it (the contexts, the types, the issuer,
//! the schema, the programme's and the institution's names, the status list's address) is the
//! same in thousands of certificates. On its own it compresses to about 2 KB; against a
//! dictionary trained on such credentials to a few hundred bytes, which keeps a registry of the
//! whole civil service (tens of millions of certificates) a fraction of the size, and keeps a
//! row small enough to stay in the table's page on either database.
//!
//! Packing is lossless: unpacking gives the credential byte for byte as signed.
//!
//! A dictionary is never changed or removed once released, because the rows packed with it
//! need it to be read: a better one is added under the next id, and frames say which they
//! used. `dictionaries/README.md` tells how each was made.

use std::cell::RefCell;
use std::sync::LazyLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe;

use crate::StoreError;

/// The dictionary new credentials are packed with, and the id its frames carry.
const DICTIONARY_ID: u32 = 1;
const DICTIONARY: &[u8] = include_bytes!("../../dictionaries/credentials-1.zdict");

/// Zstandard's level: with a dictionary, higher levels gain little on such small inputs and
/// cost the signing threads more.
const LEVEL: i32 = 3;

/// No credential this registry signs comes near this; a frame that claims more is refused
/// rather than allocated for.
const LARGEST_CREDENTIAL: u64 = 1 << 20;

static ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY, LEVEL));
static DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY));

thread_local! {
    // A compression context costs more to make than a credential costs to pack: each thread
    // (the signing threads, the runtime's workers) keeps one.
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Packs a signed credential for storage.
pub(crate) fn pack(credential: &str) -> Result<Vec<u8>, StoreError> {
    let failed = |error: std::io::Error| StoreError::Signing {
        reason: format!("the credential could not be packed: {error}"),
    };
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(compressor) => compressor,
            None => {
                let mut compressor =
                    Compressor::with_prepared_dictionary(&ENCODER).map_err(failed)?;
                // Four bytes a row, so that a damaged row is refused rather than served.
                compressor
                    .set_parameter(zstd::stream::raw::CParameter::ChecksumFlag(true))
                    .map_err(failed)?;
                slot.insert(compressor)
            }
        };
        compressor.compress(credential.as_bytes()).map_err(failed)
    })
}

/// Unpacks a credential packed by [`pack`], with whichever dictionary its frame names.
pub(crate) fn unpack(packed: &[u8]) -> Result<String, StoreError> {
    let corrupt = || StoreError::corrupt("certificates", "packed_credential");
    let dictionary = zstd_safe::get_dict_id_from_frame(packed).map(u32::from);
    if dictionary != Some(DICTIONARY_ID) {
        return Err(corrupt());
    }
    let size = match zstd_safe::get_frame_content_size(packed) {
        Ok(Some(size)) if size <= LARGEST_CREDENTIAL => size as usize,
        _ => return Err(corrupt()),
    };
    let bytes = DECOMPRESSOR.with_borrow_mut(|slot| {
        let decompressor = match slot {
            Some(decompressor) => decompressor,
            None => slot.insert(Decompressor::with_prepared_dictionary(&DECODER).ok()?),
        };
        decompressor.decompress(packed, size).ok()
    });
    String::from_utf8(bytes.ok_or_else(corrupt)?).map_err(|_| corrupt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    /// Rows packed with dictionary 1 are read with it for as long as they exist: its bytes
    /// must never change. A new dictionary gets a new file and id.
    #[test]
    fn the_released_dictionary_is_unchanged() {
        let digest = Sha256::digest(DICTIONARY);
        let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, "cc783cf6430163abcfbe0f69df8da73ed40d8bc82d0049a06654b34ffa018512");
        assert_eq!(
            zstd_safe::get_dict_id_from_dict(DICTIONARY).map(u32::from),
            Some(DICTIONARY_ID),
            "the file's own id is the one frames are read by"
        );
    }

    #[test]
    fn a_damaged_row_is_refused_not_served() {
        let credential =
            r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:uuid:1"}"#;
        let mut packed = pack(credential).expect("packed");
        let last = packed.len() - 1;
        packed[last] ^= 0x01;
        assert!(matches!(unpack(&packed), Err(StoreError::Corrupt { .. })));
        assert!(matches!(unpack(b"{\"not\":\"packed\"}"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(unpack(&[]), Err(StoreError::Corrupt { .. })));
    }

    proptest! {
        #[test]
        fn unpacking_gives_back_the_credential_byte_for_byte(credential in "\\PC{0,3000}") {
            let packed = pack(&credential).expect("packed");
            prop_assert_eq!(unpack(&packed).expect("unpacked"), credential);
        }
    }
}
