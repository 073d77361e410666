//! OAuth scopes: what a machine client's token may do.

use std::fmt;
use std::str::FromStr;

/// One right a machine client's token may carry (OAuth 2.0 `scope`, RFC 6749 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `records:read`: officials' records, under their consent or the HR rule of its agency.
    RecordsRead,
    /// `events:read`: the changes feed.
    EventsRead,
    /// `webhooks:manage`: its webhook subscriptions.
    WebhooksManage,
    /// `completions:write`: posting completions (institutions' clients hold it implicitly).
    CompletionsWrite,
}

impl Scope {
    /// Every scope, in the order documents list them.
    pub const ALL: [Scope; 4] =
        [Scope::RecordsRead, Scope::EventsRead, Scope::WebhooksManage, Scope::CompletionsWrite];

    /// The scope as OAuth writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::RecordsRead => "records:read",
            Scope::EventsRead => "events:read",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::CompletionsWrite => "completions:write",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Scope::RecordsRead => 1,
            Scope::EventsRead => 2,
            Scope::WebhooksManage => 4,
            Scope::CompletionsWrite => 8,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is none of [`Scope::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown scope; the scopes are records:read, events:read, webhooks:manage, completions:write"
)]
pub struct UnknownScope;

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(value: &str) -> Result<Self, UnknownScope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == value).ok_or(UnknownScope)
    }
}

impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// Every scope.
    pub fn all() -> Scopes {
        Scope::ALL.into_iter().collect()
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is in this set.
    pub fn includes(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes, in the order of [`Scope::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |scope| self.contains(*scope))
    }

    /// The OAuth form: names separated by spaces (RFC 6749 §3.3).
    pub fn to_oauth(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Reads the OAuth form (names separated by spaces; repeats allowed).
    pub fn parse_oauth(value: &str) -> Result<Scopes, UnknownScope> {
        value.split(' ').filter(|name| !name.is_empty()).map(str::parse).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Scopes(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_from_their_oauth_form() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        let scopes = Scopes::parse_oauth("events:read  records:read events:read").unwrap();
        assert_eq!(scopes.to_oauth(), "records:read events:read");
        assert!(scopes.contains(Scope::EventsRead));
        assert!(!scopes.contains(Scope::WebhooksManage));
        assert!(Scopes::all().includes(scopes));
        assert!(!scopes.includes(Scopes::all()));
        assert_eq!(Scopes::parse_oauth("records:write"), Err(UnknownScope));
        assert!(Scopes::parse_oauth("").unwrap().is_empty());
    }
}
