package io.loupe.tracestore.metrics;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.RejectReason;
import io.loupe.model.SeriesAppender;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test double of the {@link SeriesAppender} SPI that records what was committed, per tenant, and can be told to
 * fail or refuse. Points of batches that were rolled back or failed are not recorded.
 */
final class RecordingSeriesAppender implements SeriesAppender {
  record Point(Tenant tenant, Labels labels, long ts, double value) {}

  record RecordedExemplar(Tenant tenant, Labels labels, Exemplar exemplar) {}

  final List<Point> points = new ArrayList<>();
  final List<RecordedExemplar> exemplars = new ArrayList<>();
  final List<MetricMetadata> metadata = new ArrayList<>();
  int appenders;
  int commits;
  RuntimeException failOnAppender;
  RuntimeException failOnCommit;
  RejectReason refuseAll; // commit refuses every point with this reason

  @Override
  public synchronized Appender appender(Tenant tenant) {
    appenders++;
    if (failOnAppender != null) {
      throw failOnAppender;
    }
    return new Appender() {
      final List<Point> p = new ArrayList<>();
      final List<RecordedExemplar> e = new ArrayList<>();
      final List<MetricMetadata> m = new ArrayList<>();

      @Override
      public void append(Labels labels, long timestampMs, double value) {
        p.add(new Point(tenant, labels, timestampMs, value));
      }

      @Override
      public void appendExemplar(Labels labels, Exemplar exemplar) {
        e.add(new RecordedExemplar(tenant, labels, exemplar));
      }

      @Override
      public void updateMetadata(MetricMetadata metadata) {
        m.add(metadata);
      }

      @Override
      public AppendResult commit() {
        synchronized (RecordingSeriesAppender.this) {
          if (failOnCommit != null) {
            throw failOnCommit;
          }
          commits++;
          if (refuseAll != null) {
            return new AppendResult(0, Map.of(refuseAll, (long) p.size()), "refused");
          }
          points.addAll(p);
          exemplars.addAll(e);
          metadata.addAll(m);
          return new AppendResult(p.size(), Map.of(), "");
        }
      }

      @Override
      public void rollback() {
        p.clear();
        e.clear();
        m.clear();
      }
    };
  }

  /** Points of the series named exactly by {@code labels} (with {@code __name__}), in commit order. */
  synchronized List<Point> series(Tenant tenant, Labels labels) {
    List<Point> out = new ArrayList<>();
    for (Point p : points) {
      if (p.tenant.equals(tenant) && p.labels.equals(labels)) {
        out.add(p);
      }
    }
    return out;
  }

  /** The last value of a series, or null when it has no point. */
  synchronized Double last(Tenant tenant, Labels labels) {
    List<Point> s = series(tenant, labels);
    return s.isEmpty() ? null : s.get(s.size() - 1).value;
  }

  synchronized List<Point> named(Tenant tenant, String metric) {
    List<Point> out = new ArrayList<>();
    for (Point p : points) {
      if (p.tenant.equals(tenant) && p.labels.metricName().equals(metric)) {
        out.add(p);
      }
    }
    return out;
  }
}
