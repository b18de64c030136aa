package io.loupe.model;

/**
 * Bad input: the caller's fault. Maps to HTTP 400, Prometheus {@code bad_data}, gRPC {@code INVALID_ARGUMENT}. The
 * message names the field, the value and the expectation.
 */
public class InvalidInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
