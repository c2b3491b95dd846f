//! A message over the size limit is answered `RESOURCE_EXHAUSTED`, as the
//! gRPC specification says, where tonic answers `OUT_OF_RANGE`: in the
//! response headers (a request too large) and in the trailers (a response
//! too large).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response};
use http_body_util::BodyExt;

/// The status code tonic gives an over-size message.
const OUT_OF_RANGE: &str = "11";

/// What tonic's message for an over-size message starts with, once
/// percent-encoded.
const TOO_LARGE: &[&str] = &[
    "Error,%20decoded%20message%20length%20too%20large",
    "Error,%20encoded%20message%20length%20too%20large",
];

/// `response`, with the status of an over-size message made
/// `RESOURCE_EXHAUSTED`, whether it is in the headers or the trailers.
pub(crate) async fn resource_exhausted_when_too_large(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    fix_status(&mut parts.headers);
    let body = body.map_frame(|frame| match frame.into_trailers() {
        Ok(mut trailers) => {
            fix_status(&mut trailers);
            http_body::Frame::trailers(trailers)
        }
        Err(frame) => frame,
    });
    Response::from_parts(parts, Body::new(body))
}

fn fix_status(headers: &mut HeaderMap) {
    let out_of_range = headers
        .get("grpc-status")
        .is_some_and(|code| code == OUT_OF_RANGE);
    let too_large = headers
        .get("grpc-message")
        .and_then(|message| message.to_str().ok())
        .is_some_and(|message| TOO_LARGE.iter().any(|start| message.starts_with(start)));
    if out_of_range && too_large {
        headers.insert(
            "grpc-status",
            HeaderValue::from_str(&(tonic::Code::ResourceExhausted as i32).to_string())
                .expect("a number is a valid header value"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: tonic::Code, message: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        tonic::Status::new(code, message)
            .add_header(&mut headers)
            .unwrap();
        headers
    }

    #[tokio::test]
    async fn an_over_size_status_in_the_trailers_becomes_resource_exhausted() {
        let trailers = status(
            tonic::Code::OutOfRange,
            "Error, encoded message length too large: found 9 bytes, the limit is: 4 bytes",
        );
        let body = http_body_util::StreamBody::new(futures::stream::iter([Ok::<
            _,
            std::convert::Infallible,
        >(
            http_body::Frame::trailers(trailers),
        )]));
        let response = Response::new(Body::new(body));
        let fixed = resource_exhausted_when_too_large(response).await;
        let collected = fixed.into_body().collect().await.unwrap();
        let trailers = collected.trailers().unwrap();
        assert_eq!(trailers["grpc-status"], "8");
    }

    #[tokio::test]
    async fn other_statuses_are_left_alone() {
        let mut response = Response::new(Body::empty());
        *response.headers_mut() = status(tonic::Code::OutOfRange, "page 9 of 4");
        let fixed = resource_exhausted_when_too_large(response).await;
        assert_eq!(fixed.headers()["grpc-status"], "11");
    }
}
