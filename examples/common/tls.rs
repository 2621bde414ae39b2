//! TLS for STLS (RFC 2595 §4), STARTTLS (RFC 3501 §6.2.1) and implicit TLS on ports 995
//! and 993 (RFC 8314 §3.3): a rustls `ServerConfig` from PEM files, with the *ring*
//! provider chosen explicitly (no process-wide default provider is installed), TLS 1.2
//! and 1.3.
//!
//! For tests and for trying STLS without a certificate at hand, [`self_signed`] makes a
//! certificate with rcgen, and [`SelfSigned::client_config`] a client that trusts it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The certificate file holds no `CERTIFICATE` block, or a bad one.
    #[error("no usable certificate in the certificate PEM: {0}")]
    Certificate(String),
    /// The key file holds no private key (PKCS#8, PKCS#1 or SEC1), or a bad one.
    #[error("no usable private key in the key PEM: {0}")]
    PrivateKey(String),
    /// rustls refused the pair (say, a key that does not match the certificate).
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// rcgen could not make a certificate.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The *ring* crypto provider.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from a PEM certificate chain (leaf first) and a PEM private
/// key, read from files.
pub fn server_config(cert_chain: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Io {
            path: path.to_owned(),
            source,
        })
    };
    server_config_from_pem(&read(cert_chain)?, &read(key)?)
}

/// A server configuration from PEM bytes: the certificate chain (leaf first) and the
/// private key.
pub fn server_config_from_pem(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    if chain.is_empty() {
        return Err(TlsError::Certificate("no CERTIFICATE block".into()));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::PrivateKey(e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(config)
}

/// A self-signed certificate and its key, in PEM.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// The certificate (`-----BEGIN CERTIFICATE-----`).
    pub cert_pem: String,
    /// The private key (`-----BEGIN PRIVATE KEY-----`, PKCS#8).
    pub key_pem: String,
}

/// A self-signed certificate for `names` (DNS names; IP addresses such as `127.0.0.1`
/// become IP address entries), from a fresh ECDSA P-256 key.
pub fn self_signed(names: &[&str]) -> Result<SelfSigned, TlsError> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(names)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: signing_key.serialize_pem(),
    })
}

impl SelfSigned {
    /// Writes `cert.pem` and `key.pem` (mode 0600) into `dir`; returns their paths, for
    /// `--cert`/`--key` and for `curl --cacert`.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &self.cert_pem)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&key)?;
        file.write_all(self.key_pem.as_bytes())?;
        Ok((cert, key))
    }

    /// The server configuration for this certificate.
    pub fn server_config(&self) -> Result<ServerConfig, TlsError> {
        server_config_from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
    }

    /// A client configuration that trusts this certificate (and nothing else).
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(self.cert_pem.as_bytes()) {
            let cert = cert.map_err(|e| TlsError::Certificate(e.to_string()))?;
            roots.add(cert)?;
        }
        Ok(ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}
