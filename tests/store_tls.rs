//! TLS set-up for STLS / implicit TLS: PEM loading into a rustls `ServerConfig` (ring),
//! and a real handshake with a self-signed certificate over an in-memory stream.
#[path = "../examples/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::tls::{self, TlsError};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Handshakes a client trusting `cert` with a server using `server`, sends a POP3
/// greeting through the tunnel and returns what the client read plus the negotiated
/// protocol version.
async fn greet_over_tls(
    server: rustls::ServerConfig,
    client: rustls::ClientConfig,
    name: &str,
) -> std::io::Result<(String, rustls::ProtocolVersion)> {
    let (client_io, server_io) = tokio::io::duplex(16 * 1024);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let server_task = tokio::spawn(async move {
        let mut stream = acceptor.accept(server_io).await?;
        stream.write_all(b"+OK POP3 server ready\r\n").await?;
        stream.shutdown().await?;
        std::io::Result::Ok(())
    });
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let stream = connector.connect(name, client_io).await?;
    let version = stream.get_ref().1.protocol_version().unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await?;
    server_task.await.unwrap()?;
    Ok((line, version))
}

#[tokio::test]
async fn self_signed_certificate_completes_a_handshake() {
    let cert = tls::self_signed(&["localhost", "127.0.0.1"]).unwrap();
    assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(cert.key_pem.contains("PRIVATE KEY-----"));
    for name in ["localhost", "127.0.0.1"] {
        let (line, version) = greet_over_tls(
            cert.server_config().unwrap(),
            cert.client_config().unwrap(),
            name,
        )
        .await
        .unwrap();
        assert_eq!(line, "+OK POP3 server ready\r\n");
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_3);
    }
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_fails() {
    let server_cert = tls::self_signed(&["localhost"]).unwrap();
    let other = tls::self_signed(&["localhost"]).unwrap();
    let result = greet_over_tls(
        server_cert.server_config().unwrap(),
        other.client_config().unwrap(),
        "localhost",
    )
    .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn pem_files_written_to_disk_load_as_a_server_config() {
    let dir = tempfile::tempdir().unwrap();
    let cert = tls::self_signed(&["localhost"]).unwrap();
    let (cert_path, key_path) = cert.write_to(dir.path()).unwrap();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the key must not be world-readable");
    let server = tls::server_config(&cert_path, &key_path).unwrap();
    let (line, _) = greet_over_tls(server, cert.client_config().unwrap(), "localhost")
        .await
        .unwrap();
    assert!(line.starts_with("+OK"));
}

#[test]
fn unusable_pem_input_is_reported() {
    let cert = tls::self_signed(&["localhost"]).unwrap();
    let other = tls::self_signed(&["localhost"]).unwrap();
    assert!(matches!(
        tls::server_config_from_pem(b"", cert.key_pem.as_bytes()),
        Err(TlsError::Certificate(_))
    ));
    assert!(matches!(
        tls::server_config_from_pem(cert.key_pem.as_bytes(), cert.key_pem.as_bytes()),
        Err(TlsError::Certificate(_))
    ));
    assert!(matches!(
        tls::server_config_from_pem(cert.cert_pem.as_bytes(), cert.cert_pem.as_bytes()),
        Err(TlsError::PrivateKey(_))
    ));
    // A key that is not the certificate's.
    assert!(matches!(
        tls::server_config_from_pem(cert.cert_pem.as_bytes(), other.key_pem.as_bytes()),
        Err(TlsError::Rustls(_))
    ));
    let missing = std::path::Path::new("/nonexistent/cert.pem");
    let err = tls::server_config(missing, missing).unwrap_err();
    assert!(matches!(err, TlsError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/cert.pem"));
}
