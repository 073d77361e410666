//! The JSON-LD contexts Hocba's documents name, by URL, and the one it defines itself. The
//! bottom of the crate: every other module may use these, and this one uses none of them.

/// The W3C Verifiable Credentials 2.0 context.
pub const VC_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// The VC Data Model 1.1 context. Hocba issues VC 2.0; the VC API also signs and verifies 1.1
/// credentials, which other implementations and the W3C conformance suites still send.
pub const VC_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// The Open Badges 3.0 context.
pub const OB_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The 1EdTech Comprehensive Learner Record 2.0.1 context, which the transcript (a
/// `ClrCredential`) names after VC 2.0 and before OB 3.0.
pub const CLR_V2: &str = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";
/// The Data Integrity context, which defines the proof's terms for documents whose own contexts
/// do not (VC 2.0's does; VC 1.1's does not).
pub const DATA_INTEGRITY: &str = "https://w3id.org/security/data-integrity/v2";
/// Hocba's own context: the terms Open Badges lacks (category, training days…). Every registry
/// serves it under `/contexts/v1.jsonld`; its URL is the same everywhere.
pub const HOCBA: &str = "https://hocba.gov.vn/contexts/v1.jsonld";

/// The document behind [`HOCBA`], bundled so that nothing is fetched at run time.
pub const HOCBA_DOCUMENT: &str = include_str!("../contexts/hocba-v1.jsonld");
