package io.loupe.query.api.internal;

import com.linecorp.armeria.common.HttpStatus;
import io.loupe.model.InvalidInputException;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.StorageUnavailableException;
import io.loupe.query.promql.QueryException;
import io.loupe.query.promql.QueryException.ErrorType;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where the query service's HTTP APIs turn an exception into an error answer: Prometheus's {@code
 * errorType}, the HTTP status and the message (Prometheus {@code returnAPIError} and {@code respondError}).
 *
 * <ul>
 *   <li>{@link QueryException}: its type; statuses as Prometheus's: bad_data 400, execution 422, canceled 499,
 *       timeout 503, internal 500, not_found 404, not_acceptable 406; unavailable 503 (Prometheus answers 500; 503
 *       tells a proxy to retry elsewhere, and matches {@link StorageUnavailableException}'s contract).
 *   <li>{@link InvalidInputException} and any other {@link IllegalArgumentException}: bad_data 400.
 *   <li>{@link ResourceExhaustedException}: a request that can never fit ({@code tooLarge}) is execution 422, as
 *       Prometheus's own limits ("query processing would load too many samples"); overload is 429 with {@code
 *       Retry-After} and errorType unavailable, because a retry may pass.
 *   <li>{@link StorageUnavailableException}: unavailable 503.
 *   <li>A cancelled request: canceled 499. Anything else: internal 500, logged with its stack trace.
 * </ul>
 */
public record ApiError(String errorType, HttpStatus status, String message, Duration retryAfter) {
  private static final Logger log = LoggerFactory.getLogger(ApiError.class);

  /** nginx's "client closed request", which Prometheus answers for a canceled query. */
  public static final HttpStatus CLIENT_CLOSED_REQUEST = HttpStatus.valueOf(499);

  public static ApiError of(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof QueryException q) {
      if (q.type() == ErrorType.INTERNAL) {
        log.error("internal error while answering a query", q);
      }
      return new ApiError(q.type().text(), status(q.type()), String.valueOf(q.getMessage()), null);
    }
    if (e instanceof IllegalArgumentException) {
      return new ApiError(ErrorType.BAD_DATA.text(), HttpStatus.BAD_REQUEST, String.valueOf(e.getMessage()), null);
    }
    if (e instanceof ResourceExhaustedException r) {
      if (r.tooLarge()) {
        return new ApiError(ErrorType.EXECUTION.text(), status(ErrorType.EXECUTION), r.getMessage(), null);
      }
      return new ApiError(ErrorType.UNAVAILABLE.text(), HttpStatus.TOO_MANY_REQUESTS, r.getMessage(),
          r.retryAfter());
    }
    if (e instanceof StorageUnavailableException) {
      return new ApiError(ErrorType.UNAVAILABLE.text(), status(ErrorType.UNAVAILABLE), e.getMessage(), null);
    }
    if (e instanceof CancellationException) {
      return new ApiError(ErrorType.CANCELED.text(), status(ErrorType.CANCELED), "query was canceled", null);
    }
    log.error("unexpected error while answering a query", e);
    return new ApiError(ErrorType.INTERNAL.text(), HttpStatus.INTERNAL_SERVER_ERROR, String.valueOf(e), null);
  }

  /** The HTTP status of a Prometheus error type (see the class comment for why unavailable is 503). */
  public static HttpStatus status(ErrorType type) {
    return switch (type) {
      case BAD_DATA -> HttpStatus.BAD_REQUEST;
      case EXECUTION -> HttpStatus.UNPROCESSABLE_ENTITY;
      case CANCELED -> CLIENT_CLOSED_REQUEST;
      case TIMEOUT, UNAVAILABLE -> HttpStatus.SERVICE_UNAVAILABLE;
      case INTERNAL -> HttpStatus.INTERNAL_SERVER_ERROR;
      case NOT_FOUND -> HttpStatus.NOT_FOUND;
      case NOT_ACCEPTABLE -> HttpStatus.NOT_ACCEPTABLE;
    };
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
