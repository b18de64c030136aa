package io.loupe.collector.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.loupe.collector.scrape.RecordingSeriesAppender.Point;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ScrapeManagerIT {
  static final MediaType TEXT = MediaType.parse("text/plain; version=0.0.4; charset=utf-8");
  static final MediaType OPENMETRICS = MediaType.parse("application/openmetrics-text; version=1.0.0; charset=utf-8");
  static final AtomicReference<HttpResponseFactory> payload = new AtomicReference<>();
  static final AtomicReference<String> lastAccept = new AtomicReference<>();
  static final AtomicInteger requests = new AtomicInteger();

  interface HttpResponseFactory {
    HttpResponse get();
  }

  @RegisterExtension
  static final ServerExtension server = new ServerExtension() {
    @Override
    protected void configure(ServerBuilder sb) {
      sb.service("/metrics", (ctx, req) -> {
        requests.incrementAndGet();
        lastAccept.set(req.headers().get(HttpHeaderNames.ACCEPT));
        return payload.get().get();
      });
    }
  };

  final RecordingSeriesAppender rec = new RecordingSeriesAppender();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  ScrapeManager manager;

  @AfterEach
  void stop() {
    if (manager != null) {
      manager.close();
    }
  }

  static void serve(String text) {
    payload.set(() -> HttpResponse.of(HttpStatus.OK, TEXT, text));
  }

  ScrapeTarget target(Duration interval, Duration timeout) {
    return new ScrapeTarget("node", server.httpUri().resolve("/metrics"), interval, timeout,
        Labels.of("zone", "a"), new Tenant("team-1"));
  }

  ScrapeManager start(ScrapeTarget t, ScrapeOptions options) {
    manager = new ScrapeManager(List.of(t), rec, registry, null, options);
    manager.start();
    return manager;
  }

  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  double failures(String reason) {
    var c = registry.find("loupe.scrape.failures").tags("job", "node", "reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  List<Point> ups() {
    return rec.named("up");
  }

  @Test
  void scrapesAppendsSyntheticSeriesAndMarksVanishedSeriesStale() {
    serve("# TYPE a counter\na_total{x=\"1\"} 1\nb 2\n");
    ScrapeTarget t = target(Duration.ofMillis(150), Duration.ofMillis(150));
    start(t, ScrapeOptions.defaults());
    await("a first successful scrape", () -> ups().stream().anyMatch(p -> p.value() == 1));
    Point up = ups().stream().filter(p -> p.value() == 1).findFirst().orElseThrow();
    assertThat(up.tenant()).isEqualTo(new Tenant("team-1"));
    String instance = "127.0.0.1:" + server.httpPort();
    assertThat((Object) up.labels()).isEqualTo(Labels.of("__name__", "up", "job", "node", "instance", instance,
        "zone", "a"));
    long ts = up.timestampMs();
    Point a = rec.named("a_total").stream().filter(p -> p.timestampMs() == ts).findFirst().orElseThrow();
    assertThat((Object) a.labels()).isEqualTo(
        Labels.of("__name__", "a_total", "x", "1", "job", "node", "instance", instance, "zone", "a"));
    assertThat(a.timestampMs()).isEqualTo(ts);
    assertThat(at(ts, "scrape_samples_scraped")).isEqualTo(2);
    assertThat(at(ts, "scrape_samples_post_metric_relabeling")).isEqualTo(2);
    assertThat(at(ts, "scrape_series_added")).isEqualTo(2);
    assertThat(at(ts, "scrape_duration_seconds")).isPositive().isLessThan(5.0);
    assertThat(rec.metadata()).containsKey("a");
    assertThat(lastAccept.get()).startsWith("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4");

    // b disappears: one stale marker for b, none for a
    serve("a_total{x=\"1\"} 2\n");
    await("b stale", () -> rec.named("b").stream().anyMatch(Point::stale));
    List<Point> bs = rec.named("b");
    assertThat(bs.stream().filter(Point::stale)).hasSize(1);
    long staleTs = bs.get(bs.size() - 1).timestampMs();
    assertThat(at(staleTs, "scrape_series_added")).isEqualTo(0);
    assertThat(at(staleTs, "scrape_samples_scraped")).isEqualTo(1);
    assertThat(rec.named("a_total").stream().filter(Point::stale)).isEmpty();

    // the target dies: up 0 and a stale marker for every series it still had
    payload.set(() -> HttpResponse.of(HttpStatus.INTERNAL_SERVER_ERROR));
    await("a stale", () -> rec.named("a_total").stream().anyMatch(Point::stale));
    Point aStaleFirst = rec.named("a_total").stream().filter(Point::stale).findFirst().orElseThrow();
    Point down = ups().stream().filter(p -> p.timestampMs() == aStaleFirst.timestampMs()).findFirst().orElseThrow();
    assertThat(down.value()).isEqualTo(0);
    Point aStale = rec.named("a_total").stream().filter(Point::stale).findFirst().orElseThrow();
    assertThat(aStale.timestampMs()).isEqualTo(down.timestampMs());
    assertThat(at(down.timestampMs(), "scrape_samples_scraped")).isEqualTo(0);
    await("a second failed scrape", () -> failures("http_status") >= 2 && ups().stream()
        .filter(p -> p.value() == 0 && p.timestampMs() > down.timestampMs()).count() >= 1);
    assertThat(rec.named("a_total").stream().filter(Point::stale)).hasSize(1); // once, not at every interval

    // back up
    serve("a_total{x=\"1\"} 3\n");
    await("up 1 again", () -> ups().get(ups().size() - 1).value() == 1);
  }

  private double at(long ts, String name) {
    return rec.named(name).stream().filter(p -> p.timestampMs() == ts).findFirst().orElseThrow().value();
  }

  @Test
  void slowTargetTimesOut() {
    payload.set(() -> HttpResponse.delayed(HttpResponse.of(HttpStatus.OK, TEXT, "a 1\n"), Duration.ofSeconds(2)));
    start(target(Duration.ofMillis(200), Duration.ofMillis(100)), ScrapeOptions.defaults());
    await("a timeout", () -> failures("timeout") >= 1 && !ups().isEmpty());
    assertThat(ups()).isNotEmpty().allSatisfy(p -> assertThat(p.value()).isEqualTo(0));
    assertThat(rec.named("scrape_duration_seconds").get(0).value()).isBetween(0.09, 1.0);
    assertThat(rec.named("a")).isEmpty();
  }

  @Test
  void bodyOverTheLimitFailsTheScrape() {
    serve("a 1\n".repeat(1000));
    start(target(Duration.ofMillis(100), Duration.ofMillis(90)), ScrapeOptions.defaults().withMaxBodyBytes(1000));
    await("a size failure", () -> failures("body_too_large") >= 1 && !ups().isEmpty());
    assertThat(ups()).isNotEmpty().allSatisfy(p -> assertThat(p.value()).isEqualTo(0));
  }

  @Test
  void gzipBodiesAreInflatedWithinTheLimit() throws IOException {
    byte[] small = gzip("# HELP g A gauge.\n# TYPE g gauge\ng 42\n# EOF\n");
    byte[] bomb = gzip("g 1\n" + "#".repeat(100_000) + "\n");
    assertThat(bomb.length).isLessThan(2000);
    AtomicReference<byte[]> body = new AtomicReference<>(small);
    payload.set(() -> HttpResponse.of(ResponseHeaders.of(HttpStatus.OK, HttpHeaderNames.CONTENT_TYPE, OPENMETRICS,
        HttpHeaderNames.CONTENT_ENCODING, "gzip"), HttpData.wrap(body.get())));
    start(target(Duration.ofMillis(150), Duration.ofMillis(150)), ScrapeOptions.defaults().withMaxBodyBytes(50_000));
    await("g", () -> !rec.named("g").isEmpty());
    assertThat(rec.named("g").get(0).value()).isEqualTo(42);
    assertThat(rec.metadata().get("g").help()).isEqualTo("A gauge.");
    body.set(bomb);
    await("a size failure", () -> failures("body_too_large") >= 1);
  }

  @Test
  void malformedExpositionIsAFailedScrapeWithNothingAppended() {
    serve("good 1\nbad{ 1\n");
    start(target(Duration.ofMillis(100), Duration.ofMillis(90)), ScrapeOptions.defaults());
    await("a parse failure", () -> failures("parse") >= 1 && !ups().isEmpty());
    assertThat(rec.named("good")).isEmpty(); // the partial scrape was rolled back
    assertThat(ups().get(0).value()).isEqualTo(0);
  }

  @Test
  void refusedConnectionIsCounted() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ScrapeTarget t = new ScrapeTarget("node", URI.create("http://127.0.0.1:" + port + "/metrics"),
        Duration.ofMillis(100), Duration.ofMillis(90), Labels.EMPTY, Tenant.ANONYMOUS);
    start(t, ScrapeOptions.defaults());
    await("a connection failure", () -> failures("connection") >= 1 && !ups().isEmpty());
    assertThat(ups().get(0).value()).isEqualTo(0);
  }

  @Test
  void scrapesFallOnTheTargetsOffset() {
    serve("a 1\n");
    ScrapeTarget t = target(Duration.ofMillis(200), Duration.ofMillis(100));
    start(t, ScrapeOptions.defaults());
    await("three scrapes", () -> ups().size() >= 3);
    for (Point p : ups()) {
      long phase = Math.floorMod(p.timestampMs() - t.offsetMillis(), 200);
      assertThat(phase).as("scrape at %d, offset %d", p.timestampMs(), t.offsetMillis()).isLessThan(60);
    }
  }

  @Test
  void closeStopsTheLoopsAndLeavesNoThreads() throws InterruptedException {
    serve("a 1\n");
    start(target(Duration.ofMillis(50), Duration.ofMillis(50)), ScrapeOptions.defaults());
    await("a scrape", () -> ups().size() >= 2);
    manager.close();
    int commits = rec.commits();
    int served = requests.get();
    Thread.sleep(200);
    assertThat(rec.commits()).isEqualTo(commits);
    assertThat(requests.get()).isLessThanOrEqualTo(served + 1);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(th -> th.isAlive() && th.getName().startsWith("loupe-scrape-"));
    manager.close(); // idempotent
  }

  @Test
  void storeFailuresAreCountedAndTheLoopGoesOn() {
    serve("a 1\n");
    AtomicInteger attempts = new AtomicInteger();
    io.loupe.model.SeriesAppender failing = tenant -> {
      attempts.incrementAndGet();
      throw new io.loupe.model.StorageUnavailableException("disk full");
    };
    manager = new ScrapeManager(List.of(target(Duration.ofMillis(100), Duration.ofMillis(100))), failing, registry,
        null, ScrapeOptions.defaults());
    manager.start();
    await("three refused scrapes", () -> failures("storage") >= 3);
    assertThat(attempts.get()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void aFailingTargetIsLoggedOncePerChangeOfState() {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ScrapeManager.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
        new ch.qos.logback.core.read.ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      payload.set(() -> HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE));
      start(target(Duration.ofMillis(50), Duration.ofMillis(50)), ScrapeOptions.defaults());
      await("four failed scrapes", () -> failures("http_status") >= 4);
      serve("a 1\n");
      await("recovery", () -> !rec.named("a").isEmpty());
      manager.close();
      List<String> warnings = events.list.stream()
          .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
          .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .filter(m -> m.contains("(http_status)")).toList();
      assertThat(warnings).hasSize(1);
      assertThat(warnings.get(0)).endsWith("server returned HTTP status 503 Service Unavailable");
      assertThat(events.list).anyMatch(e -> e.getFormattedMessage().endsWith("succeeds again"));
    } finally {
      logger.detachAppender(events);
    }
  }

  @Test
  void selfScrapeOfAMicrometerRegistry() {
    var prom = MicrometerExpositionTest.registry();
    payload.set(() -> HttpResponse.of(HttpStatus.OK, TEXT, prom.scrape()));
    start(ScrapeTarget.self(server.httpPort(), Duration.ofMillis(200), new Tenant("ops")), ScrapeOptions.defaults());
    await("the node's own series", () -> !rec.named("loupe_tsdb_head_series").isEmpty());
    Point p = rec.named("loupe_tsdb_head_series").get(0);
    assertThat(p.value()).isEqualTo(7);
    assertThat(p.tenant()).isEqualTo(new Tenant("ops"));
    assertThat(p.labels().get("job")).isEqualTo("loupe");
    assertThat(p.labels().get("instance")).isEqualTo("127.0.0.1:" + server.httpPort());
    assertThat(rec.named("loupe_query_latency_seconds_bucket")).isNotEmpty();
  }

  static byte[] gzip(String s) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
      gz.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return bos.toByteArray();
  }
}
