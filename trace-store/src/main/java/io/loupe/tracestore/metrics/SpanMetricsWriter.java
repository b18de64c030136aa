package io.loupe.tracestore.metrics;

import static java.util.Objects.requireNonNull;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.SeriesAppender;
import io.loupe.model.SpanRecord;
import io.loupe.model.SpanWriter;
import io.loupe.model.Tenant;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SpanWriter} that stores spans in its delegate and then derives metrics from them, with Tempo
 * metrics-generator names: span metrics ({@code traces_spanmetrics_calls_total}, {@code
 * traces_spanmetrics_latency_bucket/_sum/_count} with exemplars) and service-graph edges ({@code
 * traces_service_graph_request_total} and friends). The metrics go to the same tenant of a {@link SeriesAppender}, one
 * commit per call.
 *
 * <p>The delegate's answer is the acknowledgement: its exceptions propagate and then no metrics are derived; a failure
 * of the metrics path is counted ({@code loupe.spanmetrics.failures}) and logged and never fails the write. Counters
 * are cumulative and live in memory, so a restart resets them (PromQL's {@code rate()} handles resets). Thread-safe.
 */
public final class SpanMetricsWriter implements SpanWriter, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpanMetricsWriter.class);

  private final SpanWriter delegate;
  private final SeriesAppender metrics;
  private final SpanMetricsOptions options;
  private final LongSupplier clockMs;
  private final Histogram.Layout layout;
  private final WriterMeters meters;
  private final Map<Tenant, TenantMetrics> tenants = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param delegate where spans are stored (the trace store); not closed by {@link #close()}
   * @param metrics where derived metrics are appended (the tsdb); close this writer before it
   */
  public SpanMetricsWriter(
      SpanWriter delegate, SeriesAppender metrics, SpanMetricsOptions options, MeterRegistry registry) {
    this(delegate, metrics, options, registry, System::currentTimeMillis);
  }

  SpanMetricsWriter(SpanWriter delegate, SeriesAppender metrics, SpanMetricsOptions options, MeterRegistry registry,
      LongSupplier clockMs) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.metrics = requireNonNull(metrics, "metrics");
    this.options = requireNonNull(options, "options");
    requireNonNull(registry, "registry");
    this.clockMs = requireNonNull(clockMs, "clockMs");
    this.layout = new Histogram.Layout(options.latencyBuckets());
    this.meters = new WriterMeters(registry);
  }

  public SpanMetricsOptions options() {
    return options;
  }

  /**
   * Writes {@code spans} to the delegate and returns its result; then folds them into {@code tenant}'s span metrics and
   * service graph and appends what is due. When the delegate refused every span, nothing is derived; when it refused
   * some (over a limit), metrics are derived from all of them, since the result does not say which.
   */
  @Override
  public AppendResult write(Tenant tenant, List<SpanRecord> spans) {
    requireNonNull(tenant, "tenant");
    requireNonNull(spans, "spans");
    AppendResult result = delegate.write(tenant, spans);
    if (closed || spans.isEmpty() || result.accepted() == 0) {
      return result;
    }
    try {
      derive(tenant, spans);
    } catch (RuntimeException e) {
      meters.failures.increment();
      log.warn("span metrics of tenant {} not appended ({} spans stored): {}", tenant, spans.size(), e.toString());
    }
    return result;
  }

  private void derive(Tenant tenant, List<SpanRecord> spans) {
    TenantMetrics t = tenants.computeIfAbsent(tenant, k -> new TenantMetrics(options, layout, meters));
    // count first: if the metrics store fails now, the spans are still in the cumulative values of the next flush
    synchronized (t) {
      long now = clockMs.getAsLong();
      t.observe(spans, now);
      t.expire(now);
    }
    emitDue(tenant, t);
  }

  private void emitDue(Tenant tenant, TenantMetrics t) {
    synchronized (t) {
      if (!t.due(clockMs.getAsLong())) {
        return; // most calls: nothing to append, no appender
      }
    }
    synchronized (t.emitLock) {
      CountingSink sink = new CountingSink(metrics.appender(tenant));
      try {
        synchronized (t) {
          t.emit(sink, sink.appender::updateMetadata, clockMs.getAsLong(), false);
        }
        sink.commit();
      } catch (RuntimeException e) {
        sink.rollback();
        throw e;
      }
    }
  }

  /**
   * Expires unpaired halves and appends what is due for every tenant, as a write call of that tenant would. Writes
   * advance only their own tenant; call this on a timer (every flush interval) so that a tenant whose spans stop still
   * gets fresh samples, its unpaired halves counted and its idle series marked stale. Failures are counted and
   * logged, never thrown.
   */
  public void flush() {
    if (closed) {
      return;
    }
    for (Map.Entry<Tenant, TenantMetrics> e : tenants.entrySet()) {
      TenantMetrics t = e.getValue();
      try {
        synchronized (t) {
          t.expire(clockMs.getAsLong());
        }
        emitDue(e.getKey(), t);
      } catch (RuntimeException ex) {
        meters.failures.increment();
        log.warn("span metrics of tenant {} not flushed: {}", e.getKey(), ex.toString());
      }
    }
  }

  /**
   * Appends the current values of every tenant's series (one commit per tenant) and forgets them. Does not close the
   * delegate or the metrics store. Writes after this still reach the delegate but derive nothing.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Map.Entry<Tenant, TenantMetrics> e : tenants.entrySet()) {
      TenantMetrics t = e.getValue();
      try {
        synchronized (t.emitLock) {
          CountingSink sink = new CountingSink(metrics.appender(e.getKey()));
          try {
            synchronized (t) {
              long now = clockMs.getAsLong();
              t.expire(now);
              t.emit(sink, sink.appender::updateMetadata, now, true);
              t.clear();
            }
            sink.commit();
          } catch (RuntimeException ex) {
            sink.rollback();
            throw ex;
          }
        }
      } catch (RuntimeException ex) {
        meters.failures.increment();
        log.warn("final span metrics of tenant {} not appended: {}", e.getKey(), ex.toString());
      }
    }
    tenants.clear();
  }

  /** Buffers points in an appender and counts them, so an empty batch is not committed. */
  private final class CountingSink implements Histogram.Sink {
    final Appender appender;
    int points;

    CountingSink(Appender appender) {
      this.appender = requireNonNull(appender, "appender");
    }

    @Override
    public void sample(Labels labels, long ts, double value) {
      appender.append(labels, ts, value);
      points++;
    }

    @Override
    public void exemplar(Labels labels, Exemplar exemplar) {
      appender.appendExemplar(labels, exemplar);
    }

    void commit() {
      if (points == 0) {
        appender.rollback();
        return;
      }
      AppendResult r = appender.commit();
      r.rejected().forEach((reason, n) -> meters.dropped(reason.metricTag()).increment(n));
      if (r.rejectedCount() > 0) {
        log.debug("span metrics: the metrics store refused {} points: {}", r.rejectedCount(), r.firstErrors());
      }
    }

    void rollback() {
      try {
        appender.rollback();
      } catch (RuntimeException e) {
        log.debug("rollback failed", e);
      }
    }
  }
}
