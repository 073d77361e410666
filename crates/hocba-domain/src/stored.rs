//! The stored (and wire) form of the registry's closed vocabularies.

/// Implements `as_str`, `from_stored` and `ALL` for a fieldless enum from one table of
/// variant ⇄ stored string, so that the two directions cannot drift apart.
macro_rules! stored_forms {
    ($type:ident { $($variant:ident => $form:literal),+ $(,)? }) => {
        impl $type {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored form (also the JSON form).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $form),+
                }
            }

            /// Parses the stored form.
            pub fn from_stored(value: &str) -> Option<Self> {
                match value {
                    $($form => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use stored_forms;
