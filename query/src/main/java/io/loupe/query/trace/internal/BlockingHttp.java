package io.loupe.query.trace.internal;

import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.loupe.query.api.internal.ApiError;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.api.internal.ResponseBodyStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a trace API request off the event loop: the request is aggregated, then the handler runs on the request's
 * blocking-task executor (the span store reads disk) and writes its answer into a streaming response. Exceptions go
 * through {@link ApiError}, the one mapping of the query service, and become the API's own error body.
 */
public final class BlockingHttp {
  private static final Logger log = LoggerFactory.getLogger(BlockingHttp.class);

  private BlockingHttp() {}

  /** Writes the answer of one request. */
  @FunctionalInterface
  public interface Handler {
    void handle(AggregatedHttpRequest req, HttpResponseWriter res) throws Exception;
  }

  /** Writes an error answer in the API's own format. */
  @FunctionalInterface
  public interface ErrorWriter {
    void write(HttpResponseWriter res, ApiError error) throws Exception;
  }

  public static HttpResponse serve(ServiceRequestContext ctx, HttpRequest req, Handler handler, ErrorWriter errors) {
    HttpResponseWriter res = HttpResponse.streaming();
    req.aggregate().handleAsync((agg, cause) -> {
      try {
        if (cause != null) {
          throw cause;
        }
        handler.handle(agg, res);
      } catch (ResponseBodyStream.ClientGoneException e) {
        res.abort();
      } catch (JsonResponses.AnswerBrokenException e) {
        log.warn("{} failed after its answer began: {}", ctx.path(), e.getCause().toString());
        res.abort(e.getCause());
      } catch (Throwable t) {
        if (res.isOpen()) {
          try {
            errors.write(res, ApiError.of(t));
          } catch (Exception e) {
            res.abort(e);
          }
        }
      }
      return null;
    }, ctx.blockingTaskExecutor());
    return res;
  }
}
