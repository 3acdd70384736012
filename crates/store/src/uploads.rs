//! Staged uploads that have arrived: what a `stagedUploadPath` points at.

use crate::{Result, Store};
use stevedore_core::ShopId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedUpload {
    pub key: String,
    pub shop_id: ShopId,
    pub size: u64,
    pub md5_hex: String,
    /// The store's entity tag of the object the upload left at `key`, when the store gave one.
    pub e_tag: Option<String>,
}

impl StagedUpload {
    /// Whether `version` is the object this upload stored, so its MD5 is known without reading
    /// it. An entity tag names exactly one content of a key, in a bucket as in the local folder.
    pub fn is_stored_version(&self, version: Option<&str>) -> bool {
        self.e_tag.is_some() && self.e_tag.as_deref() == version
    }
}

impl Store {
    /// Records (or re-records, on a second upload to the same key) a file that was stored.
    pub async fn record_upload(&self, upload: &StagedUpload) -> Result<()> {
        // Taken up front, the write lock waits for running chunks (see `cancel_operation`).
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO staged_uploads (key, shop_id, size, md5_hex, uploaded_at, e_tag) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (key) DO UPDATE SET size = excluded.size, md5_hex = excluded.md5_hex,
                 uploaded_at = excluded.uploaded_at, e_tag = excluded.e_tag",
        )
        .bind(&upload.key)
        .bind(upload.shop_id.0)
        .bind(upload.size as i64)
        .bind(&upload.md5_hex)
        .bind(self.now_millis())
        .bind(&upload.e_tag)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The shop's upload at `key`; another shop's key is as absent as a missing one.
    pub async fn find_upload(&self, shop_id: ShopId, key: &str) -> Result<Option<StagedUpload>> {
        let row: Option<(String, i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT key, shop_id, size, md5_hex, e_tag FROM staged_uploads WHERE key = $1 AND shop_id = $2",
        )
        .bind(key)
        .bind(shop_id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(
            row.map(|(key, shop_id, size, md5_hex, e_tag)| StagedUpload {
                key,
                shop_id: ShopId(shop_id),
                size: size as u64,
                md5_hex,
                e_tag,
            }),
        )
    }
}
