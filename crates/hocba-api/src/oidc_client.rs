//! Officials sign in to the pages at the national identity provider: OpenID Connect's
//! authorization code flow with PKCE (S256), Hocba being the client (the relying party).
//!
//! The provider's endpoints come from its discovery document
//! (`{issuer}/.well-known/openid-configuration`), fetched once at start or read from a file for
//! an offline install. The browser is sent to the authorization endpoint; the code it brings
//! back is exchanged by the server, over HTTP(S), at the token endpoint; the ID token that
//! comes back is checked by [`IdentityProvider::id_token`](crate::oidc::IdentityProvider::id_token).
//!
//! The HTTP client is `ureq` (blocking, run off the async threads): the `hocba` binary already
//! builds it with rustls and the Mozilla roots compiled in, so the exchange adds no crate and
//! needs no system TLS library; hyper-util's client has no TLS connector in the tree.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long the provider may take to answer the server.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the provider is reached: what its discovery document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEndpoints {
    /// Its issuer (`iss` of its tokens).
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the server exchanges the code.
    pub token_endpoint: String,
    /// Where its signing keys are published.
    pub jwks_uri: Option<String>,
}

impl ProviderEndpoints {
    /// The endpoints a discovery document names; it must be the one of `issuer` and offer the
    /// code flow with S256 PKCE (when it lists what it offers).
    pub fn from_discovery(issuer: &str, document: &Value) -> Result<Self, String> {
        let text = |field: &str| {
            document
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("the discovery document has no `{field}`"))
        };
        let named = text("issuer")?;
        if named != issuer {
            return Err(format!("the discovery document is for issuer {named}, not {issuer}"));
        }
        let offers = |field: &str, value: &str| {
            document
                .get(field)
                .and_then(Value::as_array)
                .is_none_or(|offered| offered.iter().any(|offered| offered.as_str() == Some(value)))
        };
        if !offers("response_types_supported", "code") {
            return Err("the provider does not offer the authorization code flow".to_owned());
        }
        if !offers("code_challenge_methods_supported", "S256") {
            return Err("the provider does not offer PKCE with S256".to_owned());
        }
        Ok(ProviderEndpoints {
            issuer: named,
            authorization_endpoint: text("authorization_endpoint")?,
            token_endpoint: text("token_endpoint")?,
            jwks_uri: text("jwks_uri").ok(),
        })
    }

    /// The discovery document of `issuer`, fetched (blocking: call it at start).
    pub fn discover(issuer: &str) -> Result<Self, String> {
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        Self::from_discovery(issuer, &fetch_json(&url)?)
    }

    /// The discovery document in the file `path`.
    pub fn from_file(issuer: &str, path: &std::path::Path) -> Result<Self, String> {
        Self::from_discovery(issuer, &read_json(path)?)
    }

    /// The provider's JWK set, fetched from `jwks_uri` (blocking: call it at start).
    pub fn fetch_jwks(&self) -> Result<Value, String> {
        let url = self.jwks_uri.as_deref().ok_or("the discovery document has no `jwks_uri`")?;
        fetch_json(url)
    }
}

/// A JSON file.
pub fn read_json(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{} is not JSON: {error}", path.display()))
}

fn fetch_json(url: &str) -> Result<Value, String> {
    let text = ureq::get(url)
        .header("Accept", "application/json")
        .config()
        .timeout_global(Some(EXCHANGE_TIMEOUT))
        .build()
        .call()
        .and_then(|mut response| response.body_mut().read_to_string())
        .map_err(|error| format!("cannot fetch {url}: {error}"))?;
    serde_json::from_str(&text).map_err(|error| format!("{url} is not JSON: {error}"))
}

/// Hocba as a client of the identity provider.
#[derive(Debug, Clone)]
pub struct WebSignIn {
    client_id: String,
    /// For a confidential client (sent as `client_secret_post`); a public one relies on PKCE.
    client_secret: Option<String>,
    endpoints: ProviderEndpoints,
    redirect_uri: String,
}

/// Why the code could not be exchanged for an ID token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeFailed {
    /// The provider answered, refusing (an expired, replayed or stolen code, a wrong verifier).
    #[error("the identity provider refused the code ({0})")]
    Refused(String),
    /// The provider could not be reached, or answered nonsense.
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
}

impl WebSignIn {
    /// The client `client_id` of the provider at `endpoints`, for the registry at `base_url`:
    /// the provider sends officials back to `{base_url}/sign-in/callback`.
    pub fn new(
        client_id: &str,
        client_secret: Option<String>,
        endpoints: ProviderEndpoints,
        base_url: &str,
    ) -> Self {
        let redirect_uri = Self::redirect_uri(base_url);
        WebSignIn { client_id: client_id.to_owned(), client_secret, endpoints, redirect_uri }
    }

    /// The redirect URI to register with the provider.
    pub fn redirect_uri(base_url: &str) -> String {
        format!("{}/sign-in/callback", base_url.trim_end_matches('/'))
    }

    /// The provider's issuer.
    pub fn issuer(&self) -> &str {
        &self.endpoints.issuer
    }

    /// Where to send the browser: the authorization request for `state`, `nonce` and the PKCE
    /// challenge of `verifier`.
    pub(crate) fn authorization_url(&self, state: &str, nonce: &str, verifier: &str) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let separator = if self.endpoints.authorization_endpoint.contains('?') { '&' } else { '?' };
        format!("{}{separator}{query}", self.endpoints.authorization_endpoint)
    }

    /// Exchanges `code` (with the PKCE `verifier`) at the token endpoint; returns the ID token.
    pub(crate) async fn exchange(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<String, ExchangeFailed> {
        let this = self.clone();
        let (code, verifier) = (code.to_owned(), verifier.to_owned());
        tokio::task::spawn_blocking(move || this.exchange_blocking(&code, &verifier))
            .await
            .map_err(|error| ExchangeFailed::Unreachable(error.to_string()))?
    }

    fn exchange_blocking(&self, code: &str, verifier: &str) -> Result<String, ExchangeFailed> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.as_str()));
        }
        let unreachable = |error: ureq::Error| ExchangeFailed::Unreachable(error.to_string());
        let mut response = ureq::post(&self.endpoints.token_endpoint)
            .header("Accept", "application/json")
            .config()
            .http_status_as_error(false)
            .timeout_global(Some(EXCHANGE_TIMEOUT))
            .build()
            .send_form(form)
            .map_err(unreachable)?;
        let status = response.status();
        let answer: Value = response
            .body_mut()
            .read_to_string()
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        if status.is_client_error() {
            let error = answer.get("error").and_then(Value::as_str).unwrap_or("no reason given");
            return Err(ExchangeFailed::Refused(error.chars().take(64).collect()));
        }
        if !status.is_success() {
            return Err(ExchangeFailed::Unreachable(format!("it answered {status}")));
        }
        answer.get("id_token").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
            ExchangeFailed::Unreachable("it answered without an ID token".to_owned())
        })
    }
}

/// The S256 PKCE challenge of `verifier` (RFC 7636).
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_discovery_document_must_be_the_issuers_and_offer_s256() {
        let document = serde_json::json!({
            "issuer": "https://sso.test",
            "authorization_endpoint": "https://sso.test/authorize",
            "token_endpoint": "https://sso.test/token",
            "jwks_uri": "https://sso.test/jwks",
            "code_challenge_methods_supported": ["S256"],
        });
        let endpoints = ProviderEndpoints::from_discovery("https://sso.test", &document).unwrap();
        assert_eq!(endpoints.token_endpoint, "https://sso.test/token");
        assert!(ProviderEndpoints::from_discovery("https://other.test", &document).is_err());
        let mut plain_only = document.clone();
        plain_only["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
        assert!(ProviderEndpoints::from_discovery("https://sso.test", &plain_only).is_err());
    }
}
