//! The object stores of a scheduler or executor: the local file system, and any `s3://` bucket
//! a plan names, reached as `[object_store]` and the environment say (the lake's own settings),
//! built the first time a plan needs it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use friktion_lake::StoreSettings;
use object_store::ObjectStore;
use url::Url;

#[derive(Debug)]
pub struct LakeStores {
    settings: StoreSettings,
    registered: DefaultObjectStoreRegistry,
    buckets: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl LakeStores {
    pub fn new(settings: StoreSettings) -> Self {
        Self {
            settings,
            registered: DefaultObjectStoreRegistry::new(),
            buckets: Mutex::new(HashMap::new()),
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
        let bucket = format!("s3://{}", url.host_str().unwrap_or_default());
        let mut buckets = self.buckets.lock().expect("store registry");
        if let Some(s) = buckets.get(&bucket) {
            return Ok(s.clone());
        }
        let store = friktion_lake::bucket_store(url, &self.settings)
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        buckets.insert(bucket, store.clone());
        Ok(store)
    }
}
