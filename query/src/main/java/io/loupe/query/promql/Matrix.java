package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

import io.loupe.model.Labels;
import java.util.List;

/** A range vector, or the result of a range query: per series, its points in time order. */
public record Matrix(List<Series> series) implements Value {
  /**
   * One series and its points: parallel arrays, {@code timestamps[i]} with {@code values[i]}, {@code length} valid
   * entries. Arrays rather than a list of records: a 1 h range at 15 s over 10k series is 2.4M points.
   */
  public record Series(Labels labels, long[] timestamps, double[] values, int length) {
    public Series {
      requireNonNull(labels, "labels");
      requireNonNull(timestamps, "timestamps");
      requireNonNull(values, "values");
      if (length < 0 || length > timestamps.length || length > values.length) {
        throw new IllegalArgumentException("length: " + length + " (expected: 0.." + Math.min(timestamps.length,
            values.length) + ")");
      }
    }
  }

  public Matrix {
    requireNonNull(series, "series");
  }

  @Override
  public String typeName() {
    return "matrix";
  }
}
