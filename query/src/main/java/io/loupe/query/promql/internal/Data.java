package io.loupe.query.promql.internal;

import io.loupe.model.Labels;
import java.util.ArrayList;
import java.util.List;

/**
 * Intermediate results of step-wise evaluation. A query over n steps evaluates every node once for all n steps:
 * instant-vector nodes yield, per series, a {@code double[n]} where {@link #ABSENT} marks steps without a sample.
 * Column-wise arrays keep the inner loops free of boxing and let labels be handled once per series, not per point.
 */
final class Data {
  private Data() {}

  /**
   * "No sample at this step": a NaN with a payload that no arithmetic produces. Loaded samples with these exact bits
   * are turned into the ordinary NaN, so the marker never collides with data.
   */
  static final long ABSENT_BITS = 0x7ff8_dead_beef_0001L;

  static final double ABSENT = Double.longBitsToDouble(ABSENT_BITS);

  static boolean absent(double v) {
    return Double.doubleToRawLongBits(v) == ABSENT_BITS;
  }

  static boolean present(double v) {
    return Double.doubleToRawLongBits(v) != ABSENT_BITS;
  }

  static double[] absentArray(int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, ABSENT);
    return a;
  }

  /** What evaluating a node yields. */
  sealed interface Result permits Vec, Scal, Str, Mat {}

  /** One series of an instant vector over all steps. {@code dropName}: delayed removal of {@code __name__}. */
  static final class Series {
    Labels labels;
    final double[] v;
    boolean dropName;

    Series(Labels labels, double[] v, boolean dropName) {
      this.labels = labels;
      this.v = v;
      this.dropName = dropName;
    }

    boolean any() {
      for (double d : v) {
        if (present(d)) {
          return true;
        }
      }
      return false;
    }
  }

  static final class Vec implements Result {
    final List<Series> series;

    Vec(List<Series> series) {
      this.series = series;
    }

    static Vec empty() {
      return new Vec(new ArrayList<>());
    }
  }

  static final class Scal implements Result {
    final double[] v;

    Scal(double[] v) {
      this.v = v;
    }
  }

  static final class Str implements Result {
    final String s;

    Str(String s) {
      this.s = s;
    }
  }

  /** One series of a range vector: its samples in time order. */
  static final class RangeSeries {
    final Labels labels;
    final long[] ts;
    final double[] vs;
    final int n;
    final boolean dropName;

    RangeSeries(Labels labels, long[] ts, double[] vs, int n, boolean dropName) {
      this.labels = labels;
      this.ts = ts;
      this.vs = vs;
      this.n = n;
      this.dropName = dropName;
    }
  }

  /**
   * A range vector for every step: step i sees the samples in {@code (windowEnd[i] - range, windowEnd[i]]}.
   * {@code windowEnd} is non-decreasing, so a window moves forward with two cursors.
   */
  static final class Mat implements Result {
    final List<RangeSeries> series;
    final long[] windowEnd;
    final long range;
    /** For anchored/smoothed selectors: the extra lookback loaded before (and, smoothed, after) each window. */
    final io.loupe.query.promql.parser.Expr.Ext ext;
    final long extra;

    Mat(List<RangeSeries> series, long[] windowEnd, long range) {
      this(series, windowEnd, range, io.loupe.query.promql.parser.Expr.Ext.NONE, 0);
    }

    Mat(List<RangeSeries> series, long[] windowEnd, long range, io.loupe.query.promql.parser.Expr.Ext ext,
        long extra) {
      this.series = series;
      this.windowEnd = windowEnd;
      this.range = range;
      this.ext = ext;
      this.extra = extra;
    }
  }
}
