//! Where a lake lives: a local directory, or a prefix in an S3-compatible bucket, and how to
//! reach the bucket. Credentials are never part of either: they come from the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) or a named profile.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::LakeError;

/// A lake's location as the config or `--lake` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeLocation {
    Local(PathBuf),
    /// `s3://bucket/prefix/`, always with the trailing slash.
    ObjectStore(Url),
}

impl LakeLocation {
    /// A path, or a URL with a scheme friktion can honour: `s3://` (also `s3a://`) and
    /// `file://`. Anything else is refused rather than read as a strange directory name.
    pub fn parse(s: &str) -> Result<Self, LakeError> {
        let bad = |problem: &str| LakeError::Location {
            location: s.to_string(),
            problem: problem.to_string(),
        };
        let Some((scheme, _)) = s.split_once("://") else {
            return Ok(Self::Local(PathBuf::from(s)));
        };
        let url = Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        match scheme.to_ascii_lowercase().as_str() {
            "file" => url
                .to_file_path()
                .map(Self::Local)
                .map_err(|()| bad("not a local path")),
            "s3" | "s3a" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(bad("no bucket: write s3://bucket/prefix"));
                }
                if !url.username().is_empty() || url.password().is_some() {
                    return Err(bad(
                        "credentials in the URL are refused: set AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY in the environment, or name a profile",
                    ));
                }
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(bad("a lake URL takes no query or fragment"));
                }
                let mut url = url;
                if !url.path().ends_with('/') {
                    let p = format!("{}/", url.path());
                    url.set_path(&p);
                }
                Ok(Self::ObjectStore(url))
            }
            other => Err(bad(&format!(
                "unknown scheme {other}://: a lake is a local directory or s3://bucket/prefix"
            ))),
        }
    }

    /// The local directory, for a local lake.
    pub fn local(&self) -> Option<&Path> {
        match self {
            Self::Local(p) => Some(p),
            Self::ObjectStore(_) => None,
        }
    }

    /// The location resolved against a base directory (a relative local path in a config
    /// file is relative to that file).
    pub fn relative_to(self, base: &Path) -> Self {
        match self {
            Self::Local(p) if p.is_relative() => Self::Local(base.join(p)),
            other => other,
        }
    }
}

impl fmt::Display for LakeLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::ObjectStore(u) => write!(f, "{u}"),
        }
    }
}

/// How to reach an S3-compatible store (`[object_store]` in the config). Each setting may
/// also come from the environment, as the AWS tools read it; the config wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// The store's endpoint, for stores other than AWS (`https://s3.example.se`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Address buckets as `endpoint/bucket` (true, the default, as most on-premises stores
    /// such as MinIO and Ceph want) or as `bucket.endpoint` (false, as AWS prefers).
    pub path_style: Option<bool>,
    /// Allow `http://` endpoints. Only for a store on loopback or a closed network.
    #[serde(default)]
    pub allow_http: bool,
    /// A profile in `~/.aws/credentials` / `~/.aws/config` to take credentials from.
    pub profile: Option<String>,
    /// How long a writer's lock outlives the writer (it is renewed every third of this):
    /// after a writer is killed, the next one waits at most this long. 60 s by default.
    pub lease_seconds: Option<u64>,
    /// How long superseded files are kept, so that earlier lake versions stay readable
    /// (`friktion sql --as-of`): a run deletes older ones at its end. 7 days by default.
    pub retain_days: Option<u64>,
}

impl StoreSettings {
    /// Fills what the config leaves unset from the environment, as the AWS tools name it:
    /// `AWS_ENDPOINT_URL`, `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ALLOW_HTTP`,
    /// `AWS_PROFILE`.
    pub fn with_env(mut self) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        self.endpoint = self.endpoint.or_else(|| var("AWS_ENDPOINT_URL"));
        self.region = self
            .region
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"));
        if var("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
            self.allow_http = true;
        }
        self.profile = self.profile.or_else(|| var("AWS_PROFILE"));
        self
    }

    /// How long superseded files are kept (see `retain_days`).
    pub fn retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.retain_days.unwrap_or(7) * 86_400)
    }

    pub(crate) fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_seconds.unwrap_or(60).max(1))
    }

    /// The options handed to the object store and Delta: settings only, never a secret.
    pub(crate) fn options(&self) -> HashMap<String, String> {
        let mut o = HashMap::new();
        if let Some(e) = &self.endpoint {
            o.insert("aws_endpoint".into(), e.clone());
        }
        if let Some(r) = &self.region {
            o.insert("aws_region".into(), r.clone());
        }
        if let Some(p) = self.path_style {
            o.insert("aws_virtual_hosted_style_request".into(), (!p).to_string());
        }
        if self.allow_http {
            o.insert("allow_http".into(), "true".into());
        }
        if let Some(p) = &self.profile {
            o.insert("AWS_PROFILE".into(), p.clone());
            // delta-rs resolves profiles only on this path when an endpoint is set.
            o.insert("AWS_FORCE_CREDENTIAL_LOAD".into(), "true".into());
        }
        o
    }

    /// Refuses settings that would send data in clear text off this machine: `http://` is
    /// allowed only when asked for, and then only to loopback unless the operator insists.
    pub(crate) fn check(&self) -> Result<(), LakeError> {
        let Some(e) = &self.endpoint else {
            return Ok(());
        };
        let url = Url::parse(e).map_err(|err| LakeError::Location {
            location: e.clone(),
            problem: format!("the object store endpoint is not a URL: {err}"),
        })?;
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_http => Ok(()),
            "http" => Err(LakeError::Location {
                location: e.clone(),
                problem: "a plain-HTTP endpoint needs allow_http = true under [object_store] \
                          (only for a store on loopback or a closed network)"
                    .into(),
            }),
            other => Err(LakeError::Location {
                location: e.clone(),
                problem: format!("unknown endpoint scheme {other}://"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_urls_and_refusals() {
        assert_eq!(
            LakeLocation::parse("lake").unwrap(),
            LakeLocation::Local("lake".into())
        );
        assert_eq!(
            LakeLocation::parse("file:///srv/lake").unwrap(),
            LakeLocation::Local("/srv/lake".into())
        );
        let s3 = LakeLocation::parse("s3://skr-friktion/nationell").unwrap();
        assert_eq!(s3.to_string(), "s3://skr-friktion/nationell/");
        for (bad, says) in [
            ("gs://bucket/lake", "unknown scheme gs://"),
            ("s3:///lake", "no bucket"),
            (
                "s3://key:secret@bucket/lake",
                "credentials in the URL are refused",
            ),
            ("s3://bucket/lake?region=x", "no query"),
        ] {
            let e = LakeLocation::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn plain_http_only_when_asked() {
        let mut s = StoreSettings {
            endpoint: Some("http://127.0.0.1:9000".into()),
            ..Default::default()
        };
        assert!(s.check().unwrap_err().to_string().contains("allow_http"));
        s.allow_http = true;
        s.check().unwrap();
        s.endpoint = Some("ftp://x".into());
        assert!(s.check().unwrap_err().to_string().contains("ftp://"));
        let o = StoreSettings {
            profile: Some("skr".into()),
            path_style: Some(false),
            ..Default::default()
        }
        .options();
        assert_eq!(o["AWS_PROFILE"], "skr");
        assert_eq!(o["aws_virtual_hosted_style_request"], "true");
        assert!(
            !o.keys()
                .any(|k| k.contains("SECRET") || k.contains("KEY_ID"))
        );
    }
}
