package io.loupe.collector.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import com.google.rpc.Status;
import com.linecorp.armeria.common.ContentTooLargeException;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.loupe.model.InvalidInputException;
import io.loupe.model.ResourceExhaustedException;
import io.loupe.model.StorageUnavailableException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that maps ingest failures to protocol answers: an HTTP status with a {@code google.rpc.Status} body
 * (as OTLP/HTTP asks) and a gRPC status with retry info. Expected conditions are not logged with stack traces.
 */
public final class IngestErrors {
  private static final Logger logger = LoggerFactory.getLogger(IngestErrors.class);
  private static final Duration UNAVAILABLE_RETRY = Duration.ofSeconds(5);

  /** A failure classified once: status codes for both protocols, the message, and a retry hint if any. */
  public record Failure(int httpStatus, Code grpcCode, String message, Duration retryAfter) {
    public Status toStatus() {
      Status.Builder b = Status.newBuilder().setCode(grpcCode.getNumber()).setMessage(message);
      if (retryAfter != null) {
        b.addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
            .setSeconds(retryAfter.getSeconds()).setNanos(retryAfter.getNano())).build()));
      }
      return b.build();
    }

    public StatusRuntimeException toGrpc() {
      return StatusProto.toStatusRuntimeException(toStatus());
    }
  }

  private IngestErrors() {}

  public static Failure classify(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof InvalidInputException || e instanceof InvalidProtocolBufferException) {
      String msg = e instanceof InvalidProtocolBufferException
          ? "request body: malformed protobuf: " + e.getMessage() : e.getMessage();
      return new Failure(400, Code.INVALID_ARGUMENT, msg, null);
    }
    if (e instanceof ResourceExhaustedException r) {
      if (r.tooLarge()) {
        return new Failure(413, Code.RESOURCE_EXHAUSTED, r.getMessage(), null);
      }
      return new Failure(429, Code.RESOURCE_EXHAUSTED, r.getMessage(), r.retryAfter());
    }
    if (e instanceof ContentTooLargeException c) {
      return new Failure(413, Code.RESOURCE_EXHAUSTED,
          "request body: larger than the limit of " + c.maxContentLength() + " bytes", null);
    }
    if (e instanceof StorageUnavailableException) {
      logger.warn("Ingest refused, storage unavailable: {}", e.getMessage());
      return new Failure(503, Code.UNAVAILABLE, e.getMessage(), UNAVAILABLE_RETRY);
    }
    if (e instanceof IllegalArgumentException) { // a validation failure from a record's compact constructor
      return new Failure(400, Code.INVALID_ARGUMENT, e.getMessage(), null);
    }
    logger.warn("Unexpected ingest failure", e);
    return new Failure(500, Code.INTERNAL, "internal error: " + e, null);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof java.util.concurrent.CompletionException
        || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
