//! A message over the size limit is answered `RESOURCE_EXHAUSTED`, as the
//! gRPC specification says, where tonic answers `OUT_OF_RANGE`; [`Fixed`]
//! mends both cases around each service:
//!
//! - a request over the limit: tonic reads it before any handler runs, so
//!   its status is in the response headers;
//! - an answer over the limit: tonic finds a message too large as it
//!   encodes it, and ends the response with the status in its trailers.
//!   The status then says what to do about it.
//!
//! For the services of both protocols, tonic's own limit
//! (`max_encoding_message_size`) is the only check of an answer's size,
//! made on the bytes it encodes: nothing measures an answer beforehand. An
//! answer over it is encoded whole before it is refused, and the messages
//! of a stream that tonic had not yet sent are dropped with it. A
//! `GetTaskLogs` body carries about a quarter of the limit in log text
//! (twice over, as structured and plain lines), so only a single line of
//! half the limit, or the header's token, can make one too large.
//!
//! The fix wraps each service rather than the router: a router-wide layer
//! would box every request's future a second time.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use bytes::Bytes;
use futures::TryFutureExt;
use futures::future::MapOk;
use http_body::{Body, Frame, SizeHint};
use tonic::server::NamedService;

/// The status code tonic gives an over-size message.
const OUT_OF_RANGE: &str = "11";

/// What tonic's message for an over-size request starts with, once
/// percent-encoded.
const REQUEST_TOO_LARGE: &str = "Error,%20decoded%20message%20length%20too%20large";

/// What tonic's message for an over-size answer starts with, once
/// percent-encoded; the sizes follow it.
const ANSWER_TOO_LARGE: &str = "Error,%20encoded%20message%20length%20too%20large:%20";

/// The headers of a response's gRPC status, named once: looked for in every
/// response, where naming them by a string would parse it each time.
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// `service`, with the status of its over-size requests and answers made
/// `RESOURCE_EXHAUSTED`.
pub(crate) fn fixed<S>(service: S) -> Fixed<S> {
    Fixed(service)
}

/// A gRPC service whose over-size requests and answers are answered
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
    type Response = Response<FixedBody<B>>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(Response<B>) -> Response<FixedBody<B>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<R>) -> Self::Future {
        self.0.call(request).map_ok(fix_response)
    }
}

/// `response`, with the status of an over-size request made
/// `RESOURCE_EXHAUSTED`, and its body fixed for an over-size answer.
fn fix_response<B>(mut response: Response<B>) -> Response<FixedBody<B>> {
    fix_request_status(response.headers_mut());
    response.map(FixedBody)
}

/// What follows `encoded_prefix` in the message of `status` (headers or
/// trailers), when it is tonic's `OUT_OF_RANGE` for an over-size message
/// and its message starts so.
fn too_large<'a>(status: &'a HeaderMap, encoded_prefix: &str) -> Option<&'a str> {
    // A status and a message: one entry cannot be both, and a success's
    // headers and trailers are one entry.
    if status.len() < 2 {
        return None;
    }
    status
        .get(GRPC_STATUS)
        .filter(|code| *code == OUT_OF_RANGE)?;
    status
        .get(GRPC_MESSAGE)?
        .to_str()
        .ok()?
        .strip_prefix(encoded_prefix)
}

fn fix_request_status(headers: &mut HeaderMap) {
    if too_large(headers, REQUEST_TOO_LARGE).is_some() {
        headers.insert(
            GRPC_STATUS,
            HeaderValue::from(tonic::Code::ResourceExhausted as i32),
        );
    }
}

/// `trailers`, with tonic's status for an over-size answer replaced by
/// `RESOURCE_EXHAUSTED` and what to do about it.
fn fix_answer_status(trailers: &mut HeaderMap) {
    let Some(sizes) = too_large(trailers, ANSWER_TOO_LARGE) else {
        return;
    };
    // Tonic's sizes are digits, commas, colons and encoded spaces.
    let sizes = sizes.replace("%20", " ");
    let fixed = tonic::Status::resource_exhausted(format!(
        "the answer is too large for the server ({sizes}; --max-message-bytes): large \
         outputs belong in storage, under the output prefix"
    ));
    // Only a message that cannot be a header value fails, and ours can.
    let _ = fixed.add_header(trailers);
}

/// A response body whose trailers are fixed when a message of the answer
/// was over the size limit.
pub(crate) struct FixedBody<B>(B);

impl<B> Body for FixedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut frame = ready!(Pin::new(&mut self.get_mut().0).poll_frame(cx));
        if let Some(Ok(frame)) = &mut frame
            && let Some(trailers) = frame.trailers_mut()
        {
            fix_answer_status(trailers);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_status(code: tonic::Code, message: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        tonic::Status::new(code, message)
            .add_header(&mut headers)
            .unwrap();
        headers
    }

    #[test]
    fn an_over_size_request_becomes_resource_exhausted() {
        let mut headers = with_status(
            tonic::Code::OutOfRange,
            "Error, decoded message length too large: found 9 bytes, the limit is: 4 bytes",
        );
        fix_request_status(&mut headers);
        assert_eq!(headers["grpc-status"], "8");
    }

    /// The status tonic ends an answer of 9 bytes over a limit of 4 with.
    fn answer_over_size() -> HeaderMap {
        with_status(
            tonic::Code::OutOfRange,
            "Error, encoded message length too large: found 9 bytes, the limit is: 4 bytes",
        )
    }

    #[test]
    fn an_over_size_answer_becomes_resource_exhausted_and_says_what_to_do() {
        let mut trailers = answer_over_size();
        fix_answer_status(&mut trailers);
        let status = tonic::Status::from_header_map(&trailers).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(
            status.message(),
            "the answer is too large for the server (found 9 bytes, the limit is: 4 bytes; \
             --max-message-bytes): large outputs belong in storage, under the output prefix"
        );
    }

    /// A body of the frames given, in order.
    struct Frames(std::collections::VecDeque<Frame<Bytes>>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    /// The trailers `frames` end with, once through a [`FixedBody`].
    fn fixed_trailers(frames: Vec<Frame<Bytes>>) -> HeaderMap {
        let mut body = FixedBody(Frames(frames.into()));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut trailers = None;
        while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) {
            trailers = frame.into_trailers().ok();
        }
        trailers.expect("the body ends with trailers")
    }

    #[test]
    fn a_body_ending_over_size_ends_resource_exhausted_whatever_came_before() {
        let mut over_size = answer_over_size();
        over_size.insert("x-request-id", HeaderValue::from_static("7"));
        let data = || Frame::data(Bytes::from_static(b"message"));
        for frames in [
            vec![Frame::trailers(over_size.clone())],
            vec![data(), Frame::trailers(over_size.clone())],
        ] {
            let trailers = fixed_trailers(frames);
            assert_eq!(trailers["grpc-status"], "8");
            assert_eq!(trailers["x-request-id"], "7");
        }
        let succeeded = fixed_trailers(vec![
            data(),
            Frame::trailers(with_status(tonic::Code::Ok, "")),
        ]);
        assert_eq!(succeeded["grpc-status"], "0");
        assert_eq!(succeeded.len(), 1);
    }

    #[test]
    fn other_statuses_are_left_alone() {
        for fix in [fix_request_status, fix_answer_status] {
            let mut headers = with_status(tonic::Code::OutOfRange, "page 9 of 4");
            fix(&mut headers);
            assert_eq!(headers["grpc-status"], "11");
            assert_eq!(headers["grpc-message"], "page%209%20of%204");
        }
    }
}
