package io.loupe.query.promql;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small in-memory store for engine tests: series sorted by labels, samples in time order, out-of-order appends
 * rejected. It only filters by matchers and time range; lookback, staleness and windows are the engine's job.
 */
final class TestStorage implements Queryable {
  private static final class Stored {
    long[] ts = new long[16];
    double[] vs = new double[16];
    int n;
  }

  private final TreeMap<Labels, Stored> series = new TreeMap<>();

  void append(Labels labels, long t, double v) {
    Stored s = series.computeIfAbsent(labels, l -> new Stored());
    if (s.n > 0 && s.ts[s.n - 1] == t) {
      s.vs[s.n - 1] = v; // a series written twice in one load block: the later line wins, as upstream
      return;
    }
    if (s.n > 0 && s.ts[s.n - 1] > t) {
      throw new IllegalArgumentException("out of order sample for " + labels + " at " + t);
    }
    if (s.n == s.ts.length) {
      s.ts = Arrays.copyOf(s.ts, s.n * 2);
      s.vs = Arrays.copyOf(s.vs, s.n * 2);
    }
    s.ts[s.n] = t;
    s.vs[s.n++] = v;
  }

  void clear() {
    series.clear();
  }

  @Override
  public Querier querier(Tenant tenant, long mintMs, long maxtMs) {
    return new Querier() {
      @Override
      public Iterator<Series> select(SelectHints hints, List<Matcher> matchers) {
        long lo = Math.max(mintMs, hints.startMs());
        long hi = Math.min(maxtMs, hints.endMs());
        List<Series> out = new ArrayList<>();
        for (Map.Entry<Labels, Stored> e : series.entrySet()) {
          if (matches(e.getKey(), matchers)) {
            Stored s = e.getValue();
            Labels l = e.getKey();
            out.add(new Series() {
              @Override
              public Labels labels() {
                return l;
              }

              @Override
              public SampleIterator iterator() {
                return new It(s, lo, hi);
              }
            });
          }
        }
        return out.iterator();
      }

      @Override
      public List<String> labelNames(List<Matcher> matchers) {
        TreeSet<String> names = new TreeSet<>();
        series.keySet().stream().filter(l -> matches(l, matchers)).forEach(l -> l.forEach((n, v) -> names.add(n)));
        return new ArrayList<>(names);
      }

      @Override
      public List<String> labelValues(String name, List<Matcher> matchers) {
        TreeSet<String> values = new TreeSet<>();
        series.keySet().stream().filter(l -> matches(l, matchers)).map(l -> l.get(name))
            .filter(v -> !v.isEmpty()).forEach(values::add);
        return new ArrayList<>(values);
      }

      @Override
      public void close() {}
    };
  }

  private static boolean matches(Labels l, List<Matcher> matchers) {
    for (Matcher m : matchers) {
      if (!m.matches(l.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  /** Iterates samples with timestamps in [lo, hi]. */
  private static final class It implements SampleIterator {
    private final Stored s;
    private final long hi;
    private final int start;
    private int i;

    It(Stored s, long lo, long hi) {
      this.s = s;
      this.hi = hi;
      int k = Arrays.binarySearch(s.ts, 0, s.n, lo);
      this.start = k >= 0 ? k : -k - 1;
      this.i = start - 1; // before the first sample >= lo
    }

    private boolean valid() {
      return i >= 0 && i < s.n && s.ts[i] <= hi;
    }

    @Override
    public boolean next() {
      i++;
      return valid();
    }

    @Override
    public boolean seek(long t) {
      if (i < start) {
        i = start;
      }
      while (i < s.n && s.ts[i] < t) {
        i++;
      }
      return valid();
    }

    @Override
    public long timestamp() {
      return s.ts[i];
    }

    @Override
    public double value() {
      return s.vs[i];
    }
  }
}
