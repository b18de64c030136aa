package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

/**
 * What one attempt of one request came to.
 *
 * @param status HTTP status, or for gRPC the grpc-status code (the HTTP status when there was none); -1 when no
 *     response arrived
 * @param retryAfterMillis the server's retry hint for a throttled request, or -1
 * @param rejected data points or spans the server reported as rejected in an OTLP partial success (else 0)
 * @param message the server's error text or the exception, for the summary; for an accepted request the partial
 *     success message, if any
 */
public record Outcome(Kind kind, int status, long retryAfterMillis, long rejected, String message) {
  /** Accepted (2xx / gRPC OK), throttled (429, 503 / RESOURCE_EXHAUSTED, UNAVAILABLE), or failed (anything else). */
  public enum Kind { ACCEPTED, THROTTLED, FAILED }

  public Outcome {
    requireNonNull(kind, "kind");
    requireNonNull(message, "message");
  }

  static Outcome accepted(int status, long rejected) {
    return new Outcome(Kind.ACCEPTED, status, -1, rejected, "");
  }

  static Outcome failed(Throwable t) {
    return new Outcome(Kind.FAILED, -1, -1, 0, t.getClass().getSimpleName() + ": " + t.getMessage());
  }
}
