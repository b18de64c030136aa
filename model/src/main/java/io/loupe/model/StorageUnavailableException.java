package io.loupe.model;

/**
 * The store cannot take writes right now (disk full, closing, not yet replayed). HTTP 503, gRPC {@code UNAVAILABLE}:
 * nothing of the request was acknowledged, and the client should retry later.
 */
public class StorageUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageUnavailableException(String message) {
    super(message);
  }
}
