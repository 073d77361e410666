//! The registry's vocabulary and rules: who officials are, what institutions may certify, which
//! programmes exist, and what makes a record valid.
//!
//! This crate performs no I/O. It never reads the clock or a random source: the current date is
//! an argument of every rule that needs one, so each rule can be tested at any date (the
//! `clippy.toml` beside this file enforces it). Values are parsed once, at the edge, into types
//! that can only hold valid data ("parse, don't validate").

pub mod agency;
pub mod catalog;
pub mod certificate;
pub mod characters;
pub mod codes;
pub mod completion;
pub mod compliance;
pub mod consent;
pub mod dates;
pub mod ids;
pub mod institution;
pub mod name;
pub mod national_id;
pub mod official;
pub mod record;
pub mod reports;
pub mod standards;
mod stored;
pub mod validation;
pub mod webhooks;

pub use agency::{
    AGENCY_DIRECTORY, Agency, AgencyDraft, DirectoryError, parse_directory, with_subunits,
};
pub use catalog::{
    CategoryCode, CategoryFamily, ClassDraft, NewClass, NewProgram, ProgramCode, ProgramDraft,
    StudyMode, TAXONOMY,
};
pub use certificate::{
    AccreditationFacts, CertificateFacts, CertificateNumber, CertificateNumberError,
    CompletionStatus, InstitutionFacts, KeyStatus, Outcome, ProgramFacts, RevocationReason,
    STATUS_LIST_SIZE, TranscriptFacts, identity_hash, status_index,
};
pub use completion::{CompletionPostDraft, PostedCompletion, Taught};
pub use compliance::{CompletionFact, Requirement, RequirementStatus, evaluate};
pub use consent::{
    ConsentDraft, ConsentRefusal, ConsentStanding, ConsentState, ConsentTerms, consent_in_force,
    vietnam_day,
};
pub use dates::{DateError, DateSpan, Validity};
pub use ids::{ClassId, CompletionId, EmploymentId, InstitutionId, OfficialId, ProgramId};
pub use institution::{
    InstitutionCode, InstitutionDraft, InstitutionKind, InstitutionStatus, NewInstitution,
    NewScope, Scope, ScopeDecision, ScopeDraft, accreditation, covering_scope,
};
pub use name::{NameError, PersonName, search_key};
pub use national_id::{Gender, NationalId, NationalIdError};
pub use official::{
    AdministrativeLevel, AgencyCode, ChangeError, Employment, EmploymentDraft, LeadershipGroup,
    LeadershipLevel, NewOfficial, OfficialDraft, RankCode, RefusedChange, Transfer, TransferDraft,
    TransferRequest, on_staff_of,
};
pub use record::{TrainedDays, TrainingDays, training_days};
pub use standards::{RULES_FILE, Rule, RuleKind, RulesError, parse_rule, parse_rules};
pub use validation::{FieldError, Invalid, Validator, Violation};
