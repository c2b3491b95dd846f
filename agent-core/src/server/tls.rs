//! TLS for the gRPC port, from PEM files: the server's certificate and key,
//! and optionally the CA that client certificates must chain to (mutual TLS).

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::ServeError;

/// Where the server's TLS material is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server's certificate chain, PEM.
    pub cert: PathBuf,
    /// The server's private key, PEM.
    pub key: PathBuf,
    /// The CA that client certificates must chain to, PEM; when set, a
    /// client without such a certificate is refused.
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The TLS configuration these files make.
    ///
    /// Fails, naming the file, when one cannot be read.
    pub(crate) fn config(&self) -> Result<ServerTlsConfig, ServeError> {
        let identity = Identity::from_pem(
            read(&self.cert, "--tls-cert")?,
            read(&self.key, "--tls-key")?,
        );
        let config = ServerTlsConfig::new().identity(identity);
        Ok(match &self.client_ca {
            Some(ca) => config.client_ca_root(Certificate::from_pem(read(ca, "--tls-client-ca")?)),
            None => config,
        })
    }
}

fn read(path: &Path, flag: &'static str) -> Result<Vec<u8>, ServeError> {
    std::fs::read(path).map_err(|source| ServeError::TlsFile {
        flag,
        path: path.to_path_buf(),
        source,
    })
}
