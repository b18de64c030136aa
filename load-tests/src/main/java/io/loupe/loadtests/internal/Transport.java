package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * Sends pre-encoded bodies and classifies the answers. One instance per run; {@link #send} blocks the calling worker
 * thread (never an event loop), so a run's concurrency is simply its number of worker threads.
 */
public final class Transport implements AutoCloseable {
  /** Points or spans a 2xx answer reports rejected (OTLP partial success), with the server's message. */
  public record Rejection(long count, String message) {
    public static final Rejection NONE = new Rejection(0, "");
  }

  private final ClientFactory factory;
  private final WebClient client;
  private final String path;
  private final MediaType contentType;
  private final Map<String, String> headers;
  private final boolean grpc;
  private final Function<byte[], Rejection> rejectedInBody;
  private final String target;

  private Transport(URI uri, boolean http2, boolean grpc, MediaType contentType, Map<String, String> headers,
      Duration timeout, Function<byte[], Rejection> rejectedInBody) {
    this.factory = ClientFactory.builder().build();
    SessionProtocol protocol = http2 ? SessionProtocol.H2C : SessionProtocol.H1C;
    int port = uri.getPort() > 0 ? uri.getPort() : 80;
    this.client = WebClient.builder(protocol.uriText() + "://" + uri.getHost() + ":" + port)
        .factory(factory)
        .responseTimeout(timeout)
        .writeTimeout(timeout)
        .build();
    this.path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    this.contentType = contentType;
    this.headers = Map.copyOf(headers);
    this.grpc = grpc;
    this.rejectedInBody = rejectedInBody;
    this.target = uri.toString();
  }

  /** Plain HTTP POSTs (remote write, OTLP/HTTP): HTTP/1.1 like Prometheus and the OTel exporters, or h2c. */
  public static Transport http(URI uri, boolean http2, MediaType contentType, Map<String, String> headers,
      Duration timeout, Function<byte[], Rejection> rejectedInBody) {
    return new Transport(uri, http2, false, contentType, headers, timeout, rejectedInBody);
  }

  /**
   * gRPC unary calls to {@code uri}'s path (e.g. {@code /opentelemetry.proto.collector.metrics.v1.MetricsService/Export})
   * with bodies already framed by {@link #grpcFrame}; {@code rejectedInBody} reads the response message.
   */
  public static Transport grpc(URI uri, Map<String, String> headers, Duration timeout,
      Function<byte[], Rejection> rejectedInBody) {
    return new Transport(uri, true, true, MediaType.parse("application/grpc+proto"), headers, timeout, rejectedInBody);
  }

  /** A gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, the message. */
  public static byte[] grpcFrame(byte[] message) {
    return grpcFrame(message, false);
  }

  /** A gRPC length-prefixed message whose flag byte says whether it is compressed (with the call's grpc-encoding). */
  public static byte[] grpcFrame(byte[] message, boolean compressed) {
    byte[] out = new byte[message.length + 5];
    out[0] = (byte) (compressed ? 1 : 0);
    out[1] = (byte) (message.length >>> 24);
    out[2] = (byte) (message.length >>> 16);
    out[3] = (byte) (message.length >>> 8);
    out[4] = (byte) message.length;
    System.arraycopy(message, 0, out, 5, message.length);
    return out;
  }

  /** Gzip, for OTLP bodies sent with {@code --gzip}. */
  public static byte[] gzip(byte[] raw) {
    java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream(raw.length / 4 + 64);
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bos)) {
      gz.write(raw);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  /**
   * Refuses any host but a loopback address unless {@code allowRemote}: a load generator pointed at a shared machine by
   * mistake is an outage.
   */
  public static void checkLoopback(URI uri, boolean allowRemote) {
    requireNonNull(uri, "uri");
    if (allowRemote) {
      return;
    }
    try {
      if (uri.getHost() == null || !InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException("target: " + uri
            + " (expected: a loopback address such as 127.0.0.1; pass --allow-remote to load another host)");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("target: " + uri + " (unknown host)", e);
    }
  }

  public String target() {
    return target;
  }

  /** One attempt; never throws for a server or network error (those are outcomes). */
  public Outcome send(byte[] body) {
    RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.POST, path).contentType(contentType);
    headers.forEach(h::add);
    if (grpc) {
      h.add("te", "trailers");
    }
    AggregatedHttpResponse res;
    try {
      res = client.execute(HttpRequest.of(h.build(), HttpData.wrap(body))).aggregate().join();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return Outcome.failed(cause);
    }
    return grpc ? grpcOutcome(res) : httpOutcome(res);
  }

  private Outcome httpOutcome(AggregatedHttpResponse res) {
    int status = res.status().code();
    byte[] content = res.content().array();
    if (status >= 200 && status < 300) {
      Rejection r = content.length == 0 ? Rejection.NONE : rejectedInBody.apply(content);
      return new Outcome(Outcome.Kind.ACCEPTED, status, -1, r.count(), r.message());
    }
    String text = abbreviate(new String(content, StandardCharsets.UTF_8));
    if (status == 429 || status == 503) {
      return new Outcome(Outcome.Kind.THROTTLED, status, retryAfterMillis(res.headers()), 0, text);
    }
    return new Outcome(Outcome.Kind.FAILED, status, -1, 0, "HTTP " + status + ": " + text);
  }

  private Outcome grpcOutcome(AggregatedHttpResponse res) {
    // A "trailers-only" answer carries grpc-status in the headers; otherwise it is in the trailers.
    String code = res.trailers().get("grpc-status");
    String message = res.trailers().get("grpc-message");
    if (code == null) {
      code = res.headers().get("grpc-status");
      message = res.headers().get("grpc-message");
    }
    if (code == null) {
      return new Outcome(Outcome.Kind.FAILED, res.status().code(), -1, 0,
          "no grpc-status (HTTP " + res.status().code() + "): " + abbreviate(res.contentUtf8()));
    }
    int status = Integer.parseInt(code.trim());
    if (status == 0) {
      byte[] content = res.content().array();
      Rejection r = content.length > 5 ? rejectedInBody.apply(
          java.util.Arrays.copyOfRange(content, 5, content.length)) : Rejection.NONE;
      return new Outcome(Outcome.Kind.ACCEPTED, 0, -1, r.count(), r.message());
    }
    String text = message == null ? "" : abbreviate(message);
    if (status == 8 || status == 14) { // RESOURCE_EXHAUSTED, UNAVAILABLE: the OTLP spec says retry with backoff
      return new Outcome(Outcome.Kind.THROTTLED, status, -1, 0, text);
    }
    return new Outcome(Outcome.Kind.FAILED, status, -1, 0, "grpc-status " + status + ": " + text);
  }

  private static long retryAfterMillis(HttpHeaders headers) {
    String v = headers.get("retry-after");
    if (v == null) {
      return -1;
    }
    try {
      return (long) (Double.parseDouble(v.trim()) * 1000);
    } catch (NumberFormatException e) {
      return -1; // an HTTP date: fall back to our own backoff
    }
  }

  private static String abbreviate(String s) {
    String oneLine = s.replace('\n', ' ').trim();
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }

  @Override
  public void close() {
    factory.close();
  }
}
