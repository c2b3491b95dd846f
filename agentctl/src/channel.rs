//! The gRPC channel to the server: plaintext, or TLS verified with a CA.

use std::path::Path;
use std::time::Duration;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::error::CliError;

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A channel to `addr` (`HOST:PORT`, or a URI), with TLS verified by the CA
/// in the PEM file `tls_ca` when given. It connects on its first call, so a
/// server that cannot be reached fails that call, with the call's name.
pub fn connect(addr: &str, tls_ca: Option<&Path>) -> Result<Channel, CliError> {
    let uri = uri(addr, tls_ca.is_some());
    let endpoint = Endpoint::from_shared(uri.clone())
        .map_err(|e| {
            CliError::usage(format!(
                "--addr {addr}: {uri} is not a URI ({e}); give HOST:PORT, as localhost:8000"
            ))
        })?
        .connect_timeout(CONNECT_TIMEOUT);
    let endpoint = match tls_ca {
        None => endpoint,
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                CliError::usage(format!("--tls-ca {}: cannot read it: {e}", path.display()))
            })?;
            let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem));
            endpoint
                .tls_config(tls)
                .map_err(|e| CliError::usage(format!("--tls-ca {}: {e}", path.display())))?
        }
    };
    Ok(endpoint.connect_lazy())
}

/// The URI of `addr`: itself when it has a scheme, else `http://addr`, or
/// `https://addr` with TLS.
fn uri(addr: &str, tls: bool) -> String {
    if addr.contains("://") {
        addr.to_owned()
    } else if tls {
        format!("https://{addr}")
    } else {
        format!("http://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_become_a_uri_of_the_right_scheme() {
        assert_eq!(uri("localhost:8000", false), "http://localhost:8000");
        assert_eq!(
            uri("agents.example:443", true),
            "https://agents.example:443"
        );
        assert_eq!(uri("http://[::1]:8000", false), "http://[::1]:8000");
    }

    #[test]
    fn a_bad_address_or_ca_file_is_a_usage_error() {
        let error = connect("not a host", None).unwrap_err();
        assert!(
            error.to_string().starts_with("--addr not a host:"),
            "{error}"
        );
        let error = connect("localhost:1", Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(error.to_string().contains("cannot read it"), "{error}");
    }
}
