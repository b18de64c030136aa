package io.loupe.collector.scrape;

import static java.util.Objects.requireNonNull;

import io.loupe.model.IngestLimits;
import io.loupe.model.Labels;
import io.loupe.model.Tenant;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One endpoint to scrape: its {@code job}, the URL of its exposition, how often and how long to wait, extra labels
 * added to every series (besides {@code job} and {@code instance}) and the tenant its series belong to.
 */
public record ScrapeTarget(String job, URI url, Duration interval, Duration timeout, Labels labels, Tenant tenant) {
  public static final String JOB = "job";
  public static final String INSTANCE = "instance";
  public static final String SELF_JOB = "loupe";

  public ScrapeTarget {
    requireNonNull(job, "job");
    requireNonNull(url, "url");
    requireNonNull(interval, "interval");
    requireNonNull(timeout, "timeout");
    requireNonNull(labels, "labels");
    requireNonNull(tenant, "tenant");
    if (job.isEmpty()) {
      throw new IllegalArgumentException("job: '' (expected: a non-empty name)");
    }
    String scheme = url.getScheme();
    if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
      throw new IllegalArgumentException("url: " + url + " (expected: an absolute http or https URL with a host)");
    }
    if (interval.toMillis() <= 0) {
      throw new IllegalArgumentException("interval: " + interval + " (expected: >= 1ms)");
    }
    if (timeout.toMillis() <= 0 || timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          "timeout: " + timeout + " (expected: >= 1ms and <= interval " + interval + ")");
    }
    for (int i = 0; i < labels.size(); i++) {
      String n = labels.name(i);
      if (n.equals(JOB) || n.equals(Labels.METRIC_NAME) || !IngestLimits.validLabelName(n)) {
        throw new IllegalArgumentException(
            "labels: '" + n + "' (expected: a valid label name other than job and __name__)");
      }
    }
  }

  /** A target with no extra labels, a 10 s timeout capped at the interval, for the anonymous tenant. */
  public static ScrapeTarget of(String job, String url, Duration interval) {
    Duration timeout = interval.compareTo(Duration.ofSeconds(10)) < 0 ? interval : Duration.ofSeconds(10);
    return new ScrapeTarget(job, URI.create(url), interval, timeout, Labels.EMPTY, Tenant.ANONYMOUS);
  }

  /** The node scraping its own {@code /metrics}: job {@code loupe}, timeout 10 s or the interval if shorter. */
  public static ScrapeTarget self(int httpPort, Duration interval, Tenant tenant) {
    if (httpPort <= 0 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort: " + httpPort + " (expected: 1 to 65535)");
    }
    Duration timeout = interval.compareTo(Duration.ofSeconds(10)) < 0 ? interval : Duration.ofSeconds(10);
    return new ScrapeTarget(SELF_JOB, URI.create("http://127.0.0.1:" + httpPort + "/metrics"), interval, timeout,
        Labels.EMPTY, tenant);
  }

  /** {@code host:port} of the URL, the default port filled in, as Prometheus's {@code instance} label. */
  public String instance() {
    int port = url.getPort();
    if (port < 0) {
      port = url.getScheme().equals("https") ? 443 : 80;
    }
    String host = url.getHost();
    return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  /** job, instance and the extra labels, added to every series of this target ({@code instance} may be overridden). */
  public Labels targetLabels() {
    Labels.Builder b = Labels.builder().set(JOB, job).set(INSTANCE, instance());
    labels.forEach(b::set);
    return b.build();
  }

  /**
   * Where in each interval this target is scraped, in milliseconds from a multiple of the interval: a stable hash of
   * job and URL, so that targets spread over the interval and a restart keeps the same phase (as Prometheus does).
   */
  public long offsetMillis() {
    long h = 0xcbf29ce484222325L;
    for (byte x : (job + "\u0000" + url).getBytes(StandardCharsets.UTF_8)) {
      h ^= (x & 0xff);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return Math.floorMod(h, interval.toMillis());
  }

  /** The first scrape time strictly after {@code nowMs} that falls on this target's offset. */
  public long nextScrapeMillis(long nowMs) {
    long iv = interval.toMillis();
    long base = nowMs - Math.floorMod(nowMs, iv) + offsetMillis();
    return base > nowMs ? base : base + iv;
  }
}
