package io.loupe.tracestore.metrics;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import java.math.BigDecimal;
import java.util.List;

/**
 * A cumulative Prometheus histogram kept in memory, with the most recent span of each bucket as its exemplar. Not
 * thread-safe: guarded by its tenant's lock.
 */
final class Histogram {
  /** Bucket bounds shared by every histogram of a writer. */
  static final class Layout {
    final double[] bounds; // without +Inf
    final String[] le; // with "+Inf" last

    Layout(List<Double> buckets) {
      bounds = new double[buckets.size()];
      le = new String[buckets.size() + 1];
      for (int i = 0; i < bounds.length; i++) {
        bounds[i] = buckets.get(i);
        le[i] = formatLe(bounds[i]);
      }
      le[bounds.length] = "+Inf";
    }

    /**
     * Index of the bucket holding {@code v}: the first bound {@code >= v} (Prometheus buckets are inclusive), or the
     * +Inf bucket. A plain binary search on {@code <}: {@code Arrays.binarySearch} orders doubles by their bits (for
     * NaN and -0.0) at a cost per step that showed in the profile, and a duration is neither.
     */
    int bucket(double v) {
      int lo = 0;
      int n = bounds.length;
      while (n > 0) {
        int half = n >>> 1;
        if (bounds[lo + half] < v) {
          lo += half + 1;
          n -= half + 1;
        } else {
          n = half;
        }
      }
      return lo;
    }

    // Prometheus clients print bounds as Go's shortest float form ("0.002", "1", "4.1"), not Java's "4.1E0"/"1.0".
    static String formatLe(double d) {
      return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
  }

  private final Layout layout;
  private final long[] counts; // per bucket, not cumulative; the last is +Inf
  private final String[] exTrace;
  private final String[] exSpan;
  private final double[] exValue;
  private final boolean[] exFresh; // a span arrived in the bucket since its exemplar was last appended
  private double sum;
  private long count;

  Histogram(Layout layout) {
    this.layout = layout;
    int n = layout.le.length;
    counts = new long[n];
    exTrace = new String[n];
    exSpan = new String[n];
    exValue = new double[n];
    exFresh = new boolean[n];
  }

  void observe(double v, String traceId, String spanId) {
    int i = layout.bucket(v);
    counts[i]++;
    sum += v;
    count++;
    exTrace[i] = traceId;
    exSpan[i] = spanId;
    exValue[i] = v;
    exFresh[i] = true;
  }

  long count() {
    return count;
  }

  double sum() {
    return sum;
  }

  /** Appends {@code family_bucket{le}}, {@code _sum} and {@code _count} with the base labels. */
  void emit(Sink sink, String family, Labels base, long ts, Mode mode) {
    Labels.Builder b = base.toBuilder();
    long cum = 0;
    for (int i = 0; i < counts.length; i++) {
      cum += counts[i];
      Labels l = b.set(Labels.METRIC_NAME, family + "_bucket").set("le", layout.le[i]).build();
      sink.sample(l, ts, mode.value(cum));
      if (mode == Mode.VALUE && exFresh[i]) {
        sink.exemplar(l, new Exemplar(Labels.of(Exemplar.TRACE_ID, exTrace[i], Exemplar.SPAN_ID, exSpan[i]),
            exValue[i], ts));
        exFresh[i] = false;
      }
    }
    b.remove("le");
    sink.sample(b.set(Labels.METRIC_NAME, family + "_sum").build(), ts, mode.value(sum));
    sink.sample(b.set(Labels.METRIC_NAME, family + "_count").build(), ts, mode.value(count));
  }

  /** What an emission writes. */
  enum Mode {
    /** The current cumulative values (and fresh exemplars). */
    VALUE,
    /** Zeros: the first point of a new series, so that rate() counts the increase up to the first real value. */
    ZERO,
    /** Prometheus stale markers: the series is gone. */
    STALE;

    double value(double v) {
      return switch (this) {
        case VALUE -> v;
        case ZERO -> 0;
        case STALE -> io.loupe.model.Sample.STALE_NAN;
      };
    }
  }

  /** Where emitted points go (an {@code Appender}, counted). */
  interface Sink {
    void sample(Labels labels, long ts, double value);

    void exemplar(Labels labels, Exemplar exemplar);
  }
}
