package io.loupe.loadtests.sidebyside;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Runs a dashboard query with {@code /api/v1/query_range}: warm-ups, then timed repetitions, one at a time. */
public final class QueryRunner {
  private final HttpClient http;
  private final Duration warmupTime;
  private final int warmups;
  private final int repetitions;
  private final Duration timeout;

  public QueryRunner(HttpClient http, int warmups, int repetitions, Duration timeout) {
    this(http, Duration.ZERO, warmups, repetitions, timeout);
  }

  /**
   * @param warmupTime how long {@link #warm} sends the whole query mix before the timed runs (zero: not at all)
   * @param warmups untimed runs of a query right before its timed ones
   */
  public QueryRunner(HttpClient http, Duration warmupTime, int warmups, int repetitions, Duration timeout) {
    this.http = requireNonNull(http, "http");
    this.timeout = requireNonNull(timeout, "timeout");
    this.warmupTime = requireNonNull(warmupTime, "warmupTime");
    if (warmupTime.isNegative()) {
      throw new IllegalArgumentException("warmupTime: " + warmupTime + " (expected: >= 0)");
    }
    if (warmups < 0 || repetitions <= 0) {
      throw new IllegalArgumentException("warmups: " + warmups + ", repetitions: " + repetitions
          + " (expected: >= 0 and > 0)");
    }
    this.warmups = warmups;
    this.repetitions = repetitions;
  }

  /** The query_range URI for {@code expr} from {@code startMillis} to {@code endMillis} at {@code stepSeconds}. */
  static URI uri(URI base, String expr, long startMillis, long endMillis, long stepSeconds) {
    String q = "query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)
        + "&start=" + seconds(startMillis) + "&end=" + seconds(endMillis) + "&step=" + stepSeconds;
    return base.resolve("/api/v1/query_range?" + q);
  }

  private static String seconds(long millis) {
    return String.format(Locale.ROOT, "%d.%03d", Math.floorDiv(millis, 1000), Math.floorMod(millis, 1000));
  }

  public QueryTiming run(URI base, DashboardQuery q, long startMillis, long endMillis, long stepSeconds)
      throws InterruptedException {
    URI uri = uri(base, q.expr(), startMillis, endMillis, stepSeconds);
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    double[] millis = new double[repetitions];
    String body = null;
    try {
      for (int i = 0; i < warmups + repetitions; i++) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        long t1 = System.nanoTime();
        if (r.statusCode() != 200) {
          return QueryTiming.failed("status " + r.statusCode() + ": " + abbreviate(r.body()));
        }
        if (i >= warmups) {
          millis[i - warmups] = (t1 - t0) / 1e6;
        }
        body = r.body();
      }
      return new QueryTiming(QueryResult.parse(body), millis, "");
    } catch (IOException e) {
      return QueryTiming.failed(e.toString());
    }
  }

  /**
   * Sends every query of {@code queries} in turn, round after round, until the warm-up time has passed (at least one
   * round; none if it is zero), as a dashboard left open would: a JIT-compiled system then answers the timed runs with code compiled for
   * the whole query mix, not for the one query being timed. Answers are not checked here (the timed runs are).
   *
   * @return the number of queries sent
   */
  public long warm(URI base, List<DashboardQuery> queries, long startMillis, long endMillis, long stepSeconds)
      throws InterruptedException {
    if (warmupTime.isZero()) {
      return 0;
    }
    long deadline = System.nanoTime() + warmupTime.toNanos();
    long sent = 0;
    do {
      for (DashboardQuery q : queries) {
        HttpRequest req = HttpRequest.newBuilder(uri(base, q.expr(), startMillis, endMillis, stepSeconds))
            .timeout(timeout).GET().build();
        try {
          http.send(req, HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
          return sent; // the timed runs that follow report the failure
        }
        sent++;
      }
    } while (System.nanoTime() < deadline);
    return sent;
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
