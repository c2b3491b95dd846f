//! A request over the size limit is answered `RESOURCE_EXHAUSTED`, as the
//! gRPC specification says, where tonic answers `OUT_OF_RANGE`. Tonic reads
//! a request before any handler runs, so its answer is a status in the
//! response headers, which [`Fixed`] mends around each service. (Answers
//! over the limit are refused `RESOURCE_EXHAUSTED` by the handlers
//! themselves, before tonic encodes them.)
//!
//! The fix wraps each service rather than the router: a router-wide layer
//! would box every request's future a second time.

use std::task::{Context, Poll};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use futures::TryFutureExt;
use futures::future::MapOk;
use tonic::server::NamedService;

/// The status code tonic gives an over-size message.
const OUT_OF_RANGE: &str = "11";

/// The headers of a response's gRPC status, named once: looked for in every
/// response, where naming them by a string would parse it each time.
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// What tonic's message for an over-size request starts with, once
/// percent-encoded.
const TOO_LARGE: &str = "Error,%20decoded%20message%20length%20too%20large";

/// `service`, with the status of its over-size requests made
/// `RESOURCE_EXHAUSTED`.
pub(crate) fn fixed<S>(service: S) -> Fixed<S> {
    Fixed(service)
}

/// A gRPC service whose over-size requests are answered
/// `RESOURCE_EXHAUSTED`; served under the name of the service it wraps.
#[derive(Clone)]
pub(crate) struct Fixed<S>(S);

impl<S: NamedService> NamedService for Fixed<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, R, B> tower::Service<Request<R>> for Fixed<S>
where
    S: tower::Service<Request<R>, Response = Response<B>>,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(Response<B>) -> Response<B>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<R>) -> Self::Future {
        self.0
            .call(request)
            .map_ok(resource_exhausted_when_too_large)
    }
}

/// `response`, with the status of an over-size request made
/// `RESOURCE_EXHAUSTED`. The body is left as it is, unread.
fn resource_exhausted_when_too_large<B>(mut response: Response<B>) -> Response<B> {
    fix_status(response.headers_mut());
    response
}

fn fix_status(headers: &mut HeaderMap) {
    let out_of_range = headers
        .get(GRPC_STATUS)
        .is_some_and(|code| code == OUT_OF_RANGE);
    if !out_of_range {
        return;
    }
    let too_large = headers
        .get(GRPC_MESSAGE)
        .and_then(|message| message.to_str().ok())
        .is_some_and(|message| message.starts_with(TOO_LARGE));
    if too_large {
        headers.insert(
            GRPC_STATUS,
            HeaderValue::from(tonic::Code::ResourceExhausted as i32),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_status(code: tonic::Code, message: &str) -> Response<()> {
        let mut response = Response::new(());
        tonic::Status::new(code, message)
            .add_header(response.headers_mut())
            .unwrap();
        response
    }

    #[test]
    fn an_over_size_request_becomes_resource_exhausted() {
        let response = with_status(
            tonic::Code::OutOfRange,
            "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        );
        let fixed = resource_exhausted_when_too_large(response);
        assert_eq!(fixed.headers()["grpc-status"], "8");
    }

    #[test]
    fn other_statuses_are_left_alone() {
        let response = with_status(tonic::Code::OutOfRange, "page 9 of 4");
        let fixed = resource_exhausted_when_too_large(response);
        assert_eq!(fixed.headers()["grpc-status"], "11");
    }
}
