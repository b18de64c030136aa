package io.loupe.collector.scrape;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import io.loupe.model.SeriesAppender;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes Prometheus endpoints on their intervals and appends what they expose, with Prometheus's synthetic series
 * ({@code up}, {@code scrape_duration_seconds}, {@code scrape_samples_scraped},
 * {@code scrape_samples_post_metric_relabeling}, {@code scrape_series_added}) and staleness markers.
 *
 * <p>Each target is scraped at a stable offset within its interval ({@link ScrapeTarget#offsetMillis()}). HTTP I/O
 * runs on Armeria's event loops; parsing and appending on this manager's own threads, never on an event loop.
 * Failures never escape a loop: they are counted in {@code loupe.scrape.failures{job,reason}} and logged once per
 * change of state.
 */
public final class ScrapeManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScrapeManager.class);
  private static final AtomicInteger MANAGERS = new AtomicInteger();

  private final List<ScrapeLoop> loops = new ArrayList<>();
  private final ScheduledThreadPoolExecutor executor;
  private final ClientFactory ownedFactory;
  private final ScrapeOptions options;
  private boolean started;
  private boolean closed;

  /** A manager with its own HTTP client (closed by {@link #close()}) and default options. */
  public ScrapeManager(List<ScrapeTarget> targets, SeriesAppender appender, MeterRegistry registry) {
    this(targets, appender, registry, null, ScrapeOptions.defaults());
  }

  /**
   * A manager using {@code client} (its owner closes it) or, when null, a client of its own. The client should not
   * decode content itself: the manager asks for gzip and inflates within {@link ScrapeOptions#maxBodyBytes()}.
   */
  public ScrapeManager(List<ScrapeTarget> targets, SeriesAppender appender, MeterRegistry registry, WebClient client,
      ScrapeOptions options) {
    requireNonNull(targets, "targets");
    requireNonNull(appender, "appender");
    requireNonNull(registry, "registry");
    this.options = requireNonNull(options, "options");
    if (client == null) {
      ownedFactory = ClientFactory.builder().build();
      client = WebClient.builder().factory(ownedFactory).build();
    } else {
      ownedFactory = null;
    }
    int id = MANAGERS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf = r -> {
      Thread t = new Thread(r, "loupe-scrape-" + id + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    executor = new ScheduledThreadPoolExecutor(options.threads(), tf);
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    for (ScrapeTarget t : targets) {
      loops.add(new ScrapeLoop(requireNonNull(t, "target"), appender, registry, client, executor, options));
    }
  }

  /** Schedules every target's first scrape at its next offset. */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("ScrapeManager is closed");
    }
    if (started) {
      return;
    }
    started = true;
    for (ScrapeLoop l : loops) {
      l.start();
    }
    log.info("Scraping {} targets", loops.size());
  }

  /** The targets, in the order given. */
  public List<ScrapeTarget> targets() {
    return loops.stream().map(ScrapeLoop::target).toList();
  }

  /**
   * Stops the loops: no new scrape starts, requests in flight are cancelled, and this waits up to
   * {@link ScrapeOptions#closeTimeout()} for appends in progress to finish.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (ScrapeLoop l : loops) {
      l.stop();
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("Scrape threads still busy after {}; interrupting them", options.closeTimeout());
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (ownedFactory != null) {
        ownedFactory.close();
      }
    }
  }
}
