//! gRPC reflection (v1 and v1alpha) over both protocols and health, built on
//! its first request: the decoded descriptors of every message are memory
//! an idle server need not hold, and most servers are never asked.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use futures::future::{Either, Ready, ready};
use tonic::body::Body;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;
use tonic_reflection::server::{Builder, Error};

/// The reflection builder over every descriptor the server knows.
fn builder() -> Builder<'static> {
    Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

/// Reflection v1 (`grpc.reflection.v1.ServerReflection`).
pub(crate) fn v1() -> OnFirstRequest<impl ReflectionService> {
    OnFirstRequest::new(|| builder().build_v1())
}

/// Reflection v1alpha, which older clients ask.
pub(crate) fn v1alpha() -> OnFirstRequest<impl ReflectionService> {
    OnFirstRequest::new(|| builder().build_v1alpha())
}

/// What a built reflection service is.
pub(crate) trait ReflectionService:
    tower::Service<
        Request<Body>,
        Response = Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + NamedService
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> ReflectionService for S where
    S: tower::Service<
            Request<Body>,
            Response = Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + NamedService
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// A service built by `build` when it is first called, then shared by
/// every clone. A build that fails answers `INTERNAL` with its error.
pub(crate) struct OnFirstRequest<S> {
    built: Arc<OnceLock<Result<S, String>>>,
    build: fn() -> Result<S, Error>,
}

impl<S> OnFirstRequest<S> {
    fn new(build: fn() -> Result<S, Error>) -> Self {
        OnFirstRequest {
            built: Arc::new(OnceLock::new()),
            build,
        }
    }
}

impl<S> Clone for OnFirstRequest<S> {
    fn clone(&self) -> Self {
        OnFirstRequest {
            built: Arc::clone(&self.built),
            build: self.build,
        }
    }
}

impl<S: ReflectionService> tower::Service<Request<Body>> for OnFirstRequest<S> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<S::Future, Ready<Result<Response<Body>, Infallible>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let build = self.build;
        match self
            .built
            .get_or_init(|| build().map_err(|error| error.to_string()))
        {
            Ok(service) => Either::Left(service.clone().call(request)),
            Err(error) => Either::Right(ready(Ok(tonic::Status::internal(format!(
                "reflection is unavailable: its descriptors do not decode: {error}"
            ))
            .into_http()))),
        }
    }
}

impl<S: NamedService> NamedService for OnFirstRequest<S> {
    const NAME: &'static str = S::NAME;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_decode_every_descriptor() {
        assert!((v1().build)().is_ok());
        assert!((v1alpha().build)().is_ok());
    }
}
