//! The holders of the API tokens this process has checked, kept while the database's tokens'
//! epoch reads the same (see `hocba_store::TokensEpoch`): the database moves it on, by trigger,
//! with every revocation or other change of a token, whichever process or person makes it. Every
//! request still reads the epoch afresh (sharing the read with the requests beside it), so a
//! token revoked anywhere is refused at the next request here; only the read of the token is
//! saved, which every authenticated request made.

use std::sync::Arc;

use hocba_credentials::memo::Memo;
use hocba_store::{Authenticated, Principal, Store, TokensEpoch};

use crate::ApiError;
use crate::metrics::Served;
use crate::shared_reads::SharedReads;

/// How many holders are kept, by token hash: a few hundred bytes each. Past it they are all
/// forgotten: a request costs one more read, never a wrong answer.
const KEPT: usize = 16_384;

/// Token holders by token hash, each with the epoch it was found under.
pub struct KeptTokens {
    holders: Memo<(TokensEpoch, Arc<Authenticated>), String>,
    epoch: Arc<SharedReads<TokensEpoch>>,
    /// How many requests were authenticated from a kept holder, and how many by a read.
    pub served: Served,
}

impl Default for KeptTokens {
    fn default() -> Self {
        KeptTokens { holders: Memo::new(KEPT), epoch: Arc::default(), served: Served::default() }
    }
}

impl KeptTokens {
    /// Who holds the token with this hash now, if it is live: the holder kept if no token has
    /// changed since it was found and it still holds, else read afresh.
    pub(crate) async fn holder(
        &self,
        store: &Store,
        token_hash: String,
    ) -> Result<Option<Principal>, ApiError> {
        let read = || {
            let store = store.clone();
            async move { store.tokens_epoch().await }
        };
        let epoch = self.epoch.read_after_now(read).await?;
        if let Some((found_under, kept)) = self.holders.get(&token_hash)
            && found_under == epoch
            && kept.holds_at(time::OffsetDateTime::now_utc())
        {
            self.served.count(true);
            return Ok(Some(kept.principal.clone()));
        }
        let found = store.authenticate(&token_hash).await?;
        self.served.count(false);
        let Some(found) = found else { return Ok(None) };
        let principal = found.principal.clone();
        self.holders.keep(token_hash, (epoch, Arc::new(found)));
        Ok(Some(principal))
    }
}
