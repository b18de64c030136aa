package io.loupe.query.api.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import java.io.IOException;
import java.time.Duration;

/** Writes JSON answers into a streaming response: headers first, then the body chunk by chunk. */
public final class JsonResponses {
  public static final JsonFactory JSON =
      JsonFactory.builder().disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET).build();

  private JsonResponses() {}

  /** Writes one part of a JSON document. */
  @FunctionalInterface
  public interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /** Sends {@code status} and {@code body} as {@code application/json}, then ends the response. */
  public static void send(HttpResponseWriter res, HttpStatus status, Duration retryAfter, Body body)
      throws IOException {
    ResponseHeadersBuilder h = ResponseHeaders.builder(status).contentType(MediaType.JSON_UTF_8);
    if (retryAfter != null && !retryAfter.isZero() && !retryAfter.isNegative()) {
      h.set("retry-after", Long.toString(Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
    }
    if (!res.tryWrite(h.build())) {
      throw new ResponseBodyStream.ClientGoneException();
    }
    ResponseBodyStream out = new ResponseBodyStream(res);
    try {
      JsonGenerator g = JSON.createGenerator(out);
      body.write(g);
      g.close();
      out.close();
    } catch (ResponseBodyStream.ClientGoneException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new AnswerBrokenException(e);
    }
  }

  /** Writes one part of a JSON document as bytes. */
  @FunctionalInterface
  public interface BytesBody {
    void write(JsonOut out) throws IOException;
  }

  /** Sends {@code status} and {@code body}, written with {@link JsonOut}, as {@code application/json}, then ends it. */
  public static void sendBytes(HttpResponseWriter res, HttpStatus status, BytesBody body) throws IOException {
    if (!res.tryWrite(ResponseHeaders.builder(status).contentType(MediaType.JSON_UTF_8).build())) {
      throw new ResponseBodyStream.ClientGoneException();
    }
    ResponseBodyStream stream = new ResponseBodyStream(res);
    try {
      JsonOut out = new JsonOut(stream, ResponseBodyStream.CHUNK);
      body.write(out);
      out.flush();
      stream.close();
    } catch (ResponseBodyStream.ClientGoneException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new AnswerBrokenException(e);
    }
  }

  /** Writing failed after the headers went out: the status can no longer change, the stream must be aborted. */
  public static final class AnswerBrokenException extends IOException {
    private static final long serialVersionUID = 1L;

    AnswerBrokenException(Throwable cause) {
      super(cause);
    }
  }
}
