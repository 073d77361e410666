//! Identifiers of the registry's own records.
//!
//! Each is a newtype over a UUID (version 7, so ids sort by creation time) so that an official's id
//! can never be passed where a programme's is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! record_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID read from storage or minted by the store.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

record_id!(
    /// Hocba's id of an official; the only way to name an official in a URL.
    OfficialId
);
record_id!(
    /// Hocba's id of a training institution.
    InstitutionId
);
record_id!(
    /// Hocba's id of a training programme.
    ProgramId
);
record_id!(
    /// Hocba's id of a class (one session of a programme).
    ClassId
);
record_id!(
    /// Hocba's id of a completion record.
    CompletionId
);
record_id!(
    /// Hocba's id of one stored employment period; ending or correcting the period stores a
    /// new one, with a new id, that supersedes it.
    EmploymentId
);
