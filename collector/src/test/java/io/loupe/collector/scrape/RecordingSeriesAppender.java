package io.loupe.collector.scrape;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Sample;
import io.loupe.model.SeriesAppender;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Test double: records what was committed, per tenant, in commit order; it stores nothing else. Thread-safe. */
final class RecordingSeriesAppender implements SeriesAppender {
  record Point(Tenant tenant, Labels labels, long timestampMs, double value) {
    boolean stale() {
      return Sample.isStaleMarker(value);
    }

    @Override
    public String toString() {
      return labels + " " + timestampMs + " " + (stale() ? "StaleNaN" : Double.toString(value));
    }
  }

  record RecordedExemplar(Labels series, Exemplar exemplar) {}

  private final List<Point> points = new ArrayList<>();
  private final List<RecordedExemplar> exemplars = new ArrayList<>();
  private final Map<String, MetricMetadata> metadata = new TreeMap<>();
  private int commits;

  @Override
  public Appender appender(Tenant tenant) {
    return new Recording(tenant);
  }

  synchronized List<Point> points() {
    return List.copyOf(points);
  }

  synchronized List<Point> named(String name) {
    return points.stream().filter(p -> p.labels().metricName().equals(name)).toList();
  }

  synchronized List<RecordedExemplar> exemplars() {
    return List.copyOf(exemplars);
  }

  synchronized Map<String, MetricMetadata> metadata() {
    return new TreeMap<>(metadata);
  }

  synchronized int commits() {
    return commits;
  }

  private final class Recording implements Appender {
    final Tenant tenant;
    final List<Point> buf = new ArrayList<>();
    final List<RecordedExemplar> ex = new ArrayList<>();
    final List<MetricMetadata> meta = new ArrayList<>();

    Recording(Tenant tenant) {
      this.tenant = tenant;
    }

    @Override
    public void append(Labels labels, long timestampMs, double value) {
      buf.add(new Point(tenant, labels, timestampMs, value));
    }

    @Override
    public void appendExemplar(Labels labels, Exemplar exemplar) {
      ex.add(new RecordedExemplar(labels, exemplar));
    }

    @Override
    public void updateMetadata(MetricMetadata m) {
      meta.add(m);
    }

    @Override
    public AppendResult commit() {
      synchronized (RecordingSeriesAppender.this) {
        points.addAll(buf);
        exemplars.addAll(ex);
        meta.forEach(m -> metadata.put(m.metricFamily(), m));
        commits++;
      }
      AppendResult r = new AppendResult(buf.size(), Map.of(), "");
      buf.clear();
      ex.clear();
      meta.clear();
      return r;
    }

    @Override
    public void rollback() {
      buf.clear();
      ex.clear();
      meta.clear();
    }
  }
}
