package io.loupe.collector.scrape;

import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.util.Exceptions;
import io.loupe.model.Appender;
import io.loupe.model.InvalidInputException;
import io.loupe.model.Labels;
import io.loupe.model.Sample;
import io.loupe.model.SeriesAppender;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The loop of one target: scrape, parse, append, mark vanished series stale, report, schedule the next. */
final class ScrapeLoop {
  private static final Logger log = LoggerFactory.getLogger(ScrapeManager.class);

  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  private final ScrapeTarget target;
  private final SeriesAppender appender;
  private final MeterRegistry registry;
  private final WebClient client;
  private final ScheduledExecutorService executor;
  private final ScrapeOptions options;
  private final ExpositionParser parser;
  private final Timer duration;
  private final Labels up;
  private final Labels durationSeries;
  private final Labels scraped;
  private final Labels postRelabel;
  private final Labels added;
  private final String requestUri;

  private volatile boolean stopped;
  private volatile ScheduledFuture<?> next;
  private volatile HttpResponse inFlight;
  private Set<Labels> previous = Set.of();
  private String state = "unknown"; // "up" or a failure reason; logs happen when it changes

  ScrapeLoop(ScrapeTarget target, SeriesAppender appender, MeterRegistry registry, WebClient client,
      ScheduledExecutorService executor, ScrapeOptions options) {
    this.target = target;
    this.appender = appender;
    this.registry = registry;
    this.client = client;
    this.executor = executor;
    this.options = options;
    Labels tl = target.targetLabels();
    this.parser = new ExpositionParser(tl);
    this.duration = Timer.builder("loupe.scrape.duration").tag("job", target.job())
        .description("Time to fetch a target's exposition").register(registry);
    this.up = named(tl, "up");
    this.durationSeries = named(tl, "scrape_duration_seconds");
    this.scraped = named(tl, "scrape_samples_scraped");
    this.postRelabel = named(tl, "scrape_samples_post_metric_relabeling");
    this.added = named(tl, "scrape_series_added");
    // HTTP/1.1 as Prometheus speaks to exporters: Armeria's default h2c preface upsets some HTTP/1-only servers
    String u = target.url().toString();
    this.requestUri = (target.url().getScheme().equals("https") ? "h1" : "h1c") + u.substring(u.indexOf(':'));
  }

  private static Labels named(Labels tl, String name) {
    return tl.toBuilder().set(Labels.METRIC_NAME, name).build();
  }

  ScrapeTarget target() {
    return target;
  }

  void start() {
    scheduleNext();
  }

  void stop() {
    stopped = true;
    ScheduledFuture<?> f = next;
    if (f != null) {
      f.cancel(false);
    }
    HttpResponse r = inFlight;
    if (r != null) {
      r.abort();
    }
  }

  private void scheduleNext() {
    if (stopped) {
      return;
    }
    long now = options.clock().millis();
    long at = target.nextScrapeMillis(now);
    try {
      next = executor.schedule(this::scrape, at - now, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the manager is closing
    }
  }

  private void scrape() {
    if (stopped) {
      return;
    }
    long ts = options.clock().millis();
    long startNanos = System.nanoTime();
    HttpResponse res;
    try {
      res = client.prepare().get(requestUri)
          .header(HttpHeaderNames.ACCEPT, ACCEPT)
          .header(HttpHeaderNames.ACCEPT_ENCODING, "gzip")
          .header("X-Prometheus-Scrape-Timeout-Seconds", target.timeout().toMillis() / 1000.0)
          .responseTimeout(target.timeout())
          .maxResponseLength(options.maxBodyBytes())
          .execute();
    } catch (RuntimeException e) {
      finish(ts, startNanos, null, e);
      return;
    }
    inFlight = res;
    res.aggregate().handle((agg, err) -> {
      try {
        executor.execute(() -> finish(ts, startNanos, agg, err));
      } catch (RejectedExecutionException e) {
        // the manager is closing: nothing more is appended
      }
      return null;
    });
  }

  private void finish(long ts, long startNanos, AggregatedHttpResponse agg, Throwable err) {
    inFlight = null;
    try {
      if (stopped) {
        return;
      }
      long nanos = System.nanoTime() - startNanos;
      duration.record(nanos, TimeUnit.NANOSECONDS);
      double seconds = nanos / 1e9;
      byte[] body;
      try {
        body = body(agg, err);
      } catch (Failure f) {
        failed(ts, seconds, f);
        return;
      }
      append(ts, seconds, body, agg.headers().get(HttpHeaderNames.CONTENT_TYPE));
    } catch (RuntimeException e) {
      // the store refused a new batch (closing, overloaded): counted, logged once per change like any failure
      registry.counter("loupe.scrape.failures", "job", target.job(), "reason", "storage").increment();
      changeState("storage", e.toString());
    } finally {
      scheduleNext();
    }
  }

  private byte[] body(AggregatedHttpResponse agg, Throwable err) {
    if (err != null) {
      Throwable c = Exceptions.peel(err);
      if (c instanceof ResponseTimeoutException) {
        throw new Failure("timeout", "no complete response within " + target.timeout());
      }
      if (c instanceof ContentTooLargeException) {
        throw new Failure("body_too_large",
            "response body over " + options.maxBodyBytes() + " bytes (scrape max body size)");
      }
      if (c instanceof UnprocessedRequestException && c.getCause() != null) {
        c = c.getCause();
      }
      if (c instanceof ConnectException) {
        throw new Failure("connection", "connection failed: " + c.getMessage());
      }
      throw new Failure("connection", c.getClass().getSimpleName() + ": " + c.getMessage());
    }
    if (!agg.status().equals(HttpStatus.OK)) {
      throw new Failure("http_status", "server returned HTTP status " + agg.status());
    }
    byte[] raw = agg.content().array();
    String encoding = agg.headers().get(HttpHeaderNames.CONTENT_ENCODING);
    if (encoding == null || encoding.isEmpty() || encoding.equalsIgnoreCase("identity")) {
      return raw;
    }
    if (!encoding.equalsIgnoreCase("gzip")) {
      throw new Failure("http_status", "unsupported Content-Encoding '" + encoding + "' (expected: gzip or none)");
    }
    return gunzip(raw);
  }

  private byte[] gunzip(byte[] raw) {
    long max = options.maxBodyBytes();
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 8192)) {
      byte[] out = new byte[Math.max(8192, Math.min(raw.length * 4, (int) max + 1))];
      int n = 0;
      while (true) {
        if (n == out.length) {
          if (n > max) {
            break;
          }
          out = Arrays.copyOf(out, (int) Math.min((long) out.length * 2, max + 1));
        }
        int r = in.read(out, n, out.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      if (n > max) {
        throw new Failure("body_too_large",
            "decompressed response body over " + max + " bytes (scrape max body size)");
      }
      return n == out.length ? out : Arrays.copyOf(out, n);
    } catch (IOException e) {
      throw new Failure("parse", "invalid gzip body: " + e.getMessage());
    }
  }

  private void append(long ts, double seconds, byte[] body, String contentType) {
    Appender app = appender.appender(target.tenant());
    Set<Labels> seen = new HashSet<>(Math.max(16, previous.size() * 4 / 3 + 1));
    int samples;
    try {
      samples = parser.parse(body, body.length, ExpositionParser.Format.fromContentType(contentType), ts, app, seen);
    } catch (InvalidInputException e) {
      app.rollback();
      failed(ts, seconds, new Failure("parse", e.getMessage()));
      return;
    } catch (RuntimeException e) {
      app.rollback();
      failed(ts, seconds, new Failure("storage", e.toString()));
      return;
    }
    int newSeries = 0;
    for (Labels l : seen) {
      if (!previous.contains(l)) {
        newSeries++;
      }
    }
    for (Labels l : previous) {
      if (!seen.contains(l)) {
        app.append(l, ts, Sample.STALE_NAN);
      }
    }
    report(app, ts, 1, seconds, samples, newSeries);
    if (commit(app)) {
      previous = seen;
      changeState("up", null);
    }
  }

  private void failed(long ts, double seconds, Failure f) {
    registry.counter("loupe.scrape.failures", "job", target.job(), "reason", f.reason).increment();
    changeState(f.reason, f.getMessage());
    Appender app = appender.appender(target.tenant());
    // A target that is down or unreadable: every series it had goes stale now, as in Prometheus.
    for (Labels l : previous) {
      app.append(l, ts, Sample.STALE_NAN);
    }
    report(app, ts, 0, seconds, 0, 0);
    if (commit(app)) {
      previous = Set.of();
    }
  }

  private void report(Appender app, long ts, double upValue, double seconds, int samples, int newSeries) {
    app.append(up, ts, upValue);
    app.append(durationSeries, ts, seconds);
    app.append(scraped, ts, samples);
    app.append(postRelabel, ts, samples);
    app.append(added, ts, newSeries);
  }

  private boolean commit(Appender app) {
    try {
      app.commit();
      return true;
    } catch (RuntimeException e) {
      registry.counter("loupe.scrape.failures", "job", target.job(), "reason", "storage").increment();
      changeState("storage", "append failed: " + e.getMessage());
      return false;
    }
  }

  private void changeState(String newState, String message) {
    if (newState.equals(state)) {
      return;
    }
    String old = state;
    state = newState;
    if (newState.equals("up")) {
      if (!old.equals("unknown")) {
        log.info("Scrape of {} (job {}) succeeds again", target.url(), target.job());
      }
    } else {
      log.warn("Scrape of {} (job {}) failed ({}): {}", target.url(), target.job(), newState, message);
    }
  }

  /** A failed scrape: a reason (the meter's tag) and a message for the log. */
  private static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String reason;

    Failure(String reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }
}
