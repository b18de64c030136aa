package io.loupe.collector.otlp;

import io.loupe.model.AppendResult;
import io.loupe.model.Appender;
import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Test double that records what a translator or decoder appends; it stores nothing. */
public final class RecordingAppender implements Appender {
  public record Point(Labels labels, long timestampMs, double value) {
    @Override
    public String toString() {
      String v = Sample.isStaleMarker(value) ? "StaleNaN" : Double.toString(value);
      return labels + " " + timestampMs + " " + v;
    }
  }

  public record RecordedExemplar(Labels series, Exemplar exemplar) {}

  public final List<Point> points = new ArrayList<>();
  public final List<RecordedExemplar> exemplars = new ArrayList<>();
  public final Map<String, MetricMetadata> metadata = new TreeMap<>();

  @Override
  public void append(Labels labels, long timestampMs, double value) {
    points.add(new Point(labels, timestampMs, value));
  }

  @Override
  public void appendExemplar(Labels labels, Exemplar exemplar) {
    exemplars.add(new RecordedExemplar(labels, exemplar));
  }

  @Override
  public void updateMetadata(MetricMetadata m) {
    metadata.put(m.metricFamily(), m);
  }

  @Override
  public AppendResult commit() {
    return new AppendResult(points.size(), Map.of(), "");
  }

  @Override
  public void rollback() {
    points.clear();
    exemplars.clear();
  }

  /** The points whose metric name is {@code name}. */
  public List<Point> named(String name) {
    return points.stream().filter(p -> p.labels().metricName().equals(name)).toList();
  }

  /** The only point of series {@code labels}. */
  public Point only(Labels labels) {
    List<Point> ps = points.stream().filter(p -> p.labels().equals(labels)).toList();
    if (ps.size() != 1) {
      throw new AssertionError("expected one point of " + labels + ", got " + ps + " among " + points);
    }
    return ps.get(0);
  }

  /** Every point as "labels timestamp value", sorted: the golden-file form. */
  public List<String> lines() {
    return points.stream().map(Point::toString).sorted().toList();
  }
}
