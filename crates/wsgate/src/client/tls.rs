//! rustls client configurations (ring provider) for the [`TlsRoots`] choices.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::io;
use std::sync::Arc;
use tokio::net::TcpStream;

use super::TlsRoots;
use super::stream::MaybeTlsStream;
use crate::error::ConnectError;

/// Builds a client configuration that verifies against `roots` and offers `http/1.1`.
pub(crate) fn client_config(roots: &TlsRoots) -> Result<Arc<ClientConfig>, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let mut config = match roots {
        TlsRoots::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth(),
        roots => builder
            .with_root_certificates(root_store(roots)?)
            .with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Runs the TLS handshake for `host` over `tcp`.
pub(crate) async fn handshake(
    config: Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> Result<MaybeTlsStream, ConnectError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| {
        ConnectError::Tls(io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
    })?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(ConnectError::Tls)?;
    Ok(MaybeTlsStream::Tls(Box::new(tls)))
}

fn root_store(roots: &TlsRoots) -> Result<RootCertStore, ConnectError> {
    let mut store = RootCertStore::empty();
    match roots {
        TlsRoots::WebPki | TlsRoots::Insecure => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        TlsRoots::Native => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(tls_error("no usable native root certificates"));
            }
        }
        TlsRoots::CustomPem(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                store.add(cert.map_err(tls_error)?).map_err(tls_error)?;
            }
            if store.is_empty() {
                return Err(tls_error("no certificate in the CA PEM"));
            }
        }
    }
    Ok(store)
}

fn tls_error(e: impl std::fmt::Display) -> ConnectError {
    ConnectError::Tls(io::Error::other(format!("{e}")))
}

/// Accepts any certificate but still checks the handshake signatures.
#[derive(Debug)]
struct NoVerify(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
