package io.loupe.model;

import java.time.Duration;

/**
 * Overload or a limit that a retry may get past: HTTP 429 with {@code Retry-After}, gRPC {@code RESOURCE_EXHAUSTED}
 * with retry info. {@link #tooLarge()} marks a request that can never fit (HTTP 413).
 */
public class ResourceExhaustedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Duration retryAfter;
  private final boolean tooLarge;

  public ResourceExhaustedException(String message, Duration retryAfter) {
    this(message, retryAfter, false);
  }

  private ResourceExhaustedException(String message, Duration retryAfter, boolean tooLarge) {
    super(message, null, false, false); // expected condition: no stack trace
    this.retryAfter = retryAfter;
    this.tooLarge = tooLarge;
  }

  /** A request over a size limit: retrying the same request cannot succeed. */
  public static ResourceExhaustedException tooLarge(String message) {
    return new ResourceExhaustedException(message, Duration.ZERO, true);
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  public boolean tooLarge() {
    return tooLarge;
  }
}
