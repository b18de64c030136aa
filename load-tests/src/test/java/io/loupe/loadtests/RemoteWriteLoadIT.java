package io.loupe.loadtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.loadtests.internal.RemoteWriteProto;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the remote-write generator for a second against a tiny receiver that decodes and counts what arrives. */
class RemoteWriteLoadIT {
  static final AtomicLong received = new AtomicLong();
  static final AtomicInteger throttleFirst = new AtomicInteger();
  static final Set<Map<String, String>> series = ConcurrentHashMap.newKeySet();
  static volatile boolean reject;
  static volatile boolean slow;
  static final AtomicInteger warmups = new AtomicInteger();

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.service("/api/v1/write", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> {
        if (!"snappy".equals(agg.headers().get("content-encoding"))
            || !"0.1.0".equals(agg.headers().get("x-prometheus-remote-write-version"))) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT, "missing remote-write headers");
        }
        if (reject) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT, "out of order sample for series x");
        }
        try {
          List<RemoteWriteProto.DecodedSample> got = RemoteWriteProto.decodeCompressed(agg.content().array());
          if (got.isEmpty()) {
            warmups.incrementAndGet();
          } else if (throttleFirst.getAndDecrement() > 0) {
            return HttpResponse.of(ResponseHeaders.builder(HttpStatus.TOO_MANY_REQUESTS).add("retry-after", "0")
                .build());
          }
          got.forEach(s -> series.add(s.labels()));
          received.addAndGet(got.size());
        } catch (Exception e) {
          return HttpResponse.of(HttpStatus.BAD_REQUEST, MediaType.PLAIN_TEXT, e.toString());
        }
        return slow ? HttpResponse.delayed(HttpResponse.of(HttpStatus.NO_CONTENT), java.time.Duration.ofMillis(50))
            : HttpResponse.of(HttpStatus.NO_CONTENT);
      })));
    }
  };

  @BeforeEach
  void reset() {
    received.set(0);
    throttleFirst.set(0);
    series.clear();
    reject = false;
    slow = false;
    warmups.set(0);
  }

  private static LoadReport run(ByteArrayOutputStream out, String... extra) throws Exception {
    String[] base = {"--url", server.httpUri() + "/api/v1/write", "--series", "500", "--span", "2m",
        "--batch-size", "200", "--duration", "20s", "--concurrency", "2",
        "--node-pid", Long.toString(ProcessHandle.current().pid())};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return RemoteWriteLoad.run(RemoteWriteLoad.flags().parse(args), new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @Test
  void sendsTheWholeWorkloadAndRetriesThrottledRequests() throws Exception {
    throttleFirst.set(2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoadReport r = run(out);

    // 500 series x 8 rounds (2 m / 15 s), in 3 requests per round (200, 200, 100), plus 2 throttled attempts.
    assertThat(received.get()).isEqualTo(4000);
    assertThat(warmups.get()).isEqualTo(2); // one empty request per connection, before the clock starts
    assertThat(series).hasSize(500);
    assertThat(r.samplesAccepted()).isEqualTo(4000);
    assertThat(r.samplesSent()).isEqualTo(4000);
    assertThat(r.accepted()).isEqualTo(24);
    assertThat(r.throttled()).isEqualTo(2);
    assertThat(r.requests()).isEqualTo(26);
    assertThat(r.failed()).isZero();
    assertThat(r.exhausted()).isTrue();
    assertThat(r.p99Millis()).isGreaterThanOrEqualTo(r.p50Millis()).isPositive();
    assertThat(r.nodeCpuSeconds()).isNotNaN().isGreaterThanOrEqualTo(0);
    assertThat(r.nodePeakRssBytes()).isPositive();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("remote-write summary", "samples accepted", "| 4,000", "429 2",
        "all pre-encoded requests sent", "node cpu s / M samples");
  }

  @Test
  void countsRejectedRequestsAsFailedWithTheServersMessage() throws Exception {
    reject = true;
    LoadReport r = run(new ByteArrayOutputStream(), "--span", "30s");
    assertThat(r.failed()).isEqualTo(6);
    assertThat(r.accepted()).isZero();
    assertThat(r.samplesAccepted()).isZero();
    assertThat(r.firstError()).isEqualTo("HTTP 400: out of order sample for series x");
  }

  @Test
  void stopsAtTheDurationEvenWithRequestsLeft() throws Exception {
    slow = true;
    LoadReport r = run(new ByteArrayOutputStream(), "--span", "10m", "--series", "100", "--batch-size", "50",
        "--duration", "1s", "--concurrency", "1");
    // 100 series x 40 rounds = 80 requests, answered in 50 ms each: 4 s of work, one at a time.
    assertThat(r.exhausted()).isFalse();
    assertThat(r.elapsedSeconds()).isBetween(0.9, 3.9);
    assertThat(r.accepted()).isBetween(1L, 25L);
    assertThat(r.p50Millis()).isGreaterThanOrEqualTo(50);
  }

  @Test
  void anUnreachableTargetFailsBeforeTheClockStarts() throws Exception {
    int port;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = ss.getLocalPort(); // closed again: nobody listens there now
    }
    String url = "http://127.0.0.1:" + port + "/api/v1/write";
    assertThatThrownBy(() -> RemoteWriteLoad.run(RemoteWriteLoad.flags().parse("--url", url, "--series", "10",
        "--span", "30s"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("target " + url + " unreachable")
        .hasMessageContaining("Connection refused");
  }

  @Test
  void liveRequestsWaitUntilTheyAreDue() throws Exception {
    long now = System.currentTimeMillis();
    byte[] body = io.loupe.loadtests.internal.NodeExporterWorkload.build(10, 1, 1, 10, now, 1).requests().get(0)
        .body();
    io.loupe.loadtests.internal.Workload w = new io.loupe.loadtests.internal.Workload("live", List.of(
        new io.loupe.loadtests.internal.Prepared(body, 10, 10, now + 800),
        new io.loupe.loadtests.internal.Prepared(body, 10, 10, now + 60_000)), 10, 0, new byte[0]);
    try (io.loupe.loadtests.internal.Transport t = io.loupe.loadtests.internal.Transport.http(
        java.net.URI.create(server.httpUri() + "/api/v1/write"), false, MediaType.create("application", "x-protobuf"),
        Map.of("content-encoding", "snappy", "x-prometheus-remote-write-version", "0.1.0"),
        java.time.Duration.ofSeconds(10), b -> io.loupe.loadtests.internal.Transport.Rejection.NONE)) {
      long t0 = System.currentTimeMillis();
      io.loupe.loadtests.internal.LoadDriver.Result r = io.loupe.loadtests.internal.LoadDriver.run(w, t, 1,
          java.time.Duration.ofMillis(2500), 0, io.loupe.loadtests.internal.Progress.none());
      // The first request went out when due, not before; the second was not due before the end of the run.
      assertThat(System.currentTimeMillis() - t0).isBetween(2_000L, 20_000L);
      assertThat(r.stats().accepted()).isEqualTo(1);
      assertThat(r.stats().latencyMillis(0.5)).isLessThan(800); // the wait is not counted as latency
      assertThat(received.get()).isEqualTo(10);
      assertThat(r.exhausted()).isFalse();
    }
  }

  @Test
  void refusesNonLoopbackTargets() {
    assertThatThrownBy(() -> RemoteWriteLoad.run(RemoteWriteLoad.flags().parse("--url",
        "http://10.20.30.40:9090/api/v1/write"), new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: a loopback address");
    assertThat(received.get()).isZero();
  }
}
