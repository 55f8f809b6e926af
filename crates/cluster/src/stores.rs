//! The object stores of a scheduler or executor: the local file system, and any `s3://` bucket
//! a plan names, reached as `[object_store]` and the environment say (the lake's own settings),
//! built the first time a plan needs it.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use friktion_lake::StoreSettings;
use object_store::ObjectStore;
use url::Url;

#[derive(Debug)]
pub struct LakeStores {
    settings: StoreSettings,
    registered: DefaultObjectStoreRegistry,
}

impl LakeStores {
    pub fn new(settings: StoreSettings) -> Self {
        Self {
            settings,
            registered: DefaultObjectStoreRegistry::new(),
        }
    }
}

impl ObjectStoreRegistry for LakeStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.registered.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(s) = self.registered.get_store(url) {
            return Ok(s);
        }
        if !matches!(url.scheme(), "s3" | "s3a") {
            return Err(DataFusionError::Configuration(format!(
                "no object store for {url}: a friktion executor reads local files and s3:// buckets"
            )));
        }
        // Built once per bucket; two tasks that race here build it twice, harmlessly.
        let store = friktion_lake::bucket_store(url, &self.settings)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        self.registered.register_store(url, store.clone());
        Ok(store)
    }
}
