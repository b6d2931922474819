//! The WebSocket side of subscriptions: a client that stops reading is disconnected instead of
//! holding a connection, a task and its buffers forever.
//!
//! A subscriber's events wait in the kernel's bounded broadcast buffer, so a slow reader never
//! slows the kernel; a reader that falls too far behind gets a `LIMIT_EXCEEDED` error from the
//! kernel. But a reader that stops entirely blocks the socket write itself, and that error can
//! never be delivered. [`TimedSink`] bounds how long one write (or flush) may stay blocked; past
//! that the write fails, the GraphQL connection ends, and dropping the socket closes it.
//!
//! # Invariants
//! - A write or flush that stays pending for `timeout` fails with [`WriteStalled`]; one that
//!   completes restarts the clock, so a steady slow reader is not cut off by this rule.
//! - The timer is tokio's, never the wall clock, and nothing canonical depends on it.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Sink;

/// The socket's writes have been blocked for longer than the configured timeout.
#[derive(Debug, thiserror::Error)]
#[error("the client read nothing for {0:?}: disconnected")]
pub(crate) struct WriteStalled(pub Duration);

/// A sink whose pending writes and flushes fail after `timeout`.
pub(crate) struct TimedSink<S> {
    inner: S,
    timeout: Duration,
    /// Armed while an operation is pending; cleared when one completes.
    stalled_since: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> TimedSink<S> {
    pub(crate) fn new(inner: S, timeout: Duration) -> TimedSink<S> {
        TimedSink {
            inner,
            timeout,
            stalled_since: None,
        }
    }
}

impl<S: Unpin> TimedSink<S> {
    fn poll_timed<E>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<Result<(), E>>,
    ) -> Poll<Result<(), axum::Error>>
    where
        E: Into<axum::BoxError>,
    {
        match poll(Pin::new(&mut self.inner), cx) {
            Poll::Ready(result) => {
                self.stalled_since = None;
                Poll::Ready(result.map_err(axum::Error::new))
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let timer = self
                    .stalled_since
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::info!(
                            ?timeout,
                            "disconnecting a WebSocket client that stopped reading"
                        );
                        Poll::Ready(Err(axum::Error::new(WriteStalled(timeout))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S, T> Sink<T> for TimedSink<S>
where
    S: Sink<T> + Unpin,
    S::Error: Into<axum::BoxError>,
{
    type Error = axum::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_timed(cx, S::poll_ready)
    }

    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        Pin::new(&mut self.get_mut().inner)
            .start_send(item)
            .map_err(axum::Error::new)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_timed(cx, S::poll_flush)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.get_mut().poll_timed(cx, S::poll_close)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::SinkExt as _;

    use super::TimedSink;

    /// A sink that is never ready: a client that reads nothing.
    struct Stuck;

    impl futures_util::Sink<u8> for Stuck {
        type Error = std::io::Error;

        fn poll_ready(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Pending
        }

        fn start_send(self: std::pin::Pin<&mut Self>, _item: u8) -> Result<(), Self::Error> {
            Ok(())
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Pending
        }

        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Pending
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_write_fails_after_the_timeout() {
        let mut sink = TimedSink::new(Stuck, Duration::from_secs(10));
        let error = sink.send(1).await.expect_err("a stuck write must fail");
        assert!(error.to_string().contains("read nothing"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_that_completes_is_not_cut_off() {
        let mut sink = TimedSink::new(Vec::new(), Duration::from_secs(10));
        for byte in 0..100u8 {
            sink.send(byte).await.expect("the reader keeps up");
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        assert_eq!(sink.inner, (0..100u8).collect::<Vec<_>>());
    }
}
