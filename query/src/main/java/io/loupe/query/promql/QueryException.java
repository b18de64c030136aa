package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

/**
 * A query that failed, with Prometheus's {@code errorType} so that the HTTP API answers exactly as Prometheus would.
 * Parse errors are {@link ErrorType#BAD_DATA}; limits exceeded during evaluation are {@link ErrorType#EXECUTION}.
 */
public class QueryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Prometheus's error types and the HTTP status each maps to. */
  public enum ErrorType {
    BAD_DATA("bad_data", 400),
    EXECUTION("execution", 422),
    TIMEOUT("timeout", 503),
    CANCELED("canceled", 503),
    INTERNAL("internal", 500),
    UNAVAILABLE("unavailable", 503),
    NOT_FOUND("not_found", 404),
    NOT_ACCEPTABLE("not_acceptable", 406);

    private final String text;
    private final int httpStatus;

    ErrorType(String text, int httpStatus) {
      this.text = text;
      this.httpStatus = httpStatus;
    }

    public String text() {
      return text;
    }

    public int httpStatus() {
      return httpStatus;
    }
  }

  private final ErrorType type;

  public QueryException(ErrorType type, String message) {
    super(message, null, false, false); // expected outcomes: no stack trace
    this.type = requireNonNull(type, "type");
  }

  public QueryException(ErrorType type, String message, Throwable cause) {
    super(message, cause);
    this.type = requireNonNull(type, "type");
  }

  public ErrorType type() {
    return type;
  }
}
