//! TLS on the gRPC port, with certificates made at test time: a TLS client
//! is served, a plaintext client is refused, and under mutual TLS a client
//! without a certificate is refused.

use std::path::PathBuf;

use agent_core::proto::flyteidl::admin;
use agent_core::proto::flyteidl::service::agent_metadata_service_client::AgentMetadataServiceClient;
use agent_core::server::{ServerOptions, TlsFiles};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::support::start_with;

/// A CA, a server certificate for `localhost` it signed, and a client
/// certificate it signed, as PEM files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca: String,
    client_cert: String,
    client_key: String,
}

impl Pki {
    fn new() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
        let client_key = KeyPair::generate().unwrap();
        let client = CertificateParams::new(vec!["agent-client".to_string()])
            .unwrap()
            .signed_by(&client_key, &ca)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), server_key.serialize_pem()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        Pki {
            dir,
            ca: ca.pem(),
            client_cert: client.pem(),
            client_key: client_key.serialize_pem(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Server options serving TLS, with mutual TLS when `mutual`.
    fn options(&self, mutual: bool) -> ServerOptions {
        ServerOptions {
            tls: Some(TlsFiles {
                cert: self.path("server.pem"),
                key: self.path("server.key"),
                client_ca: mutual.then(|| self.path("ca.pem")),
            }),
            ..Default::default()
        }
    }

    /// A TLS client trusting the CA, presenting the client certificate
    /// when `with_certificate`.
    fn tls(&self, with_certificate: bool) -> ClientTlsConfig {
        let config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca))
            .domain_name("localhost");
        if with_certificate {
            config.identity(Identity::from_pem(&self.client_cert, &self.client_key))
        } else {
            config
        }
    }
}

async fn list_agents(channel: Result<Channel, tonic::transport::Error>) -> Result<usize, String> {
    let channel = channel.map_err(|e| format!("connect: {e:?}"))?;
    AgentMetadataServiceClient::new(channel)
        .list_agents(admin::ListAgentsRequest {})
        .await
        .map(|reply| reply.into_inner().agents.len())
        .map_err(|status| format!("{status:?}"))
}

fn endpoint(address: std::net::SocketAddr, scheme: &str) -> Endpoint {
    Endpoint::from_shared(format!("{scheme}://localhost:{}", address.port()))
        .unwrap()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(5))
}

#[tokio::test]
async fn a_tls_client_is_served_and_a_plaintext_one_refused() {
    let pki = Pki::new();
    let (server, _) = start_with(pki.options(false)).await;
    let tls = endpoint(server.address(), "https")
        .tls_config(pki.tls(false))
        .unwrap();
    let served = list_agents(tls.connect().await).await;
    assert!(
        served.is_ok_and(|agents| agents > 0),
        "a TLS client is served"
    );

    let plaintext = list_agents(endpoint(server.address(), "http").connect().await).await;
    assert!(
        plaintext.is_err(),
        "a plaintext client is refused: {plaintext:?}"
    );
}

#[tokio::test]
async fn under_mutual_tls_a_client_without_a_certificate_is_refused() {
    let pki = Pki::new();
    let (server, _) = start_with(pki.options(true)).await;
    let with_certificate = endpoint(server.address(), "https")
        .tls_config(pki.tls(true))
        .unwrap();
    let served = list_agents(with_certificate.connect().await).await;
    assert!(
        served.is_ok(),
        "a client with a certificate is served: {served:?}"
    );

    let without = endpoint(server.address(), "https")
        .tls_config(pki.tls(false))
        .unwrap();
    let refused = list_agents(without.connect().await).await;
    assert!(
        refused.is_err(),
        "a client without a certificate is refused: {refused:?}"
    );
}

#[tokio::test]
async fn an_unreadable_certificate_stops_the_server_with_the_flag_named() {
    let options = ServerOptions {
        tls: Some(TlsFiles {
            cert: "/nonexistent/server.pem".into(),
            key: "/nonexistent/server.key".into(),
            client_ca: None,
        }),
        ..Default::default()
    };
    let registry = agent_core::Registry::builder().build().unwrap();
    let listener = agent_core::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let error = agent_core::AgentServer::new(registry)
        .options(options)
        .serve_with_shutdown(listener, None, std::future::pending())
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("--tls-cert"), "{message}");
    assert!(message.contains("/nonexistent/server.pem"), "{message}");
}
