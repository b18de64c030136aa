package io.loupe.query.promql.internal;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

/** Series held as arrays, for the evaluator's tests in this package: filters by matchers only. */
final class ArrayQueryable implements Queryable {
  private record Stored(long[] ts, double[] vs) {}

  private final TreeMap<Labels, Stored> series = new TreeMap<>();

  void add(Labels labels, long[] ts, double[] vs) {
    series.put(labels, new Stored(ts, vs));
  }

  @Override
  public Querier querier(Tenant tenant, long mintMs, long maxtMs) {
    return new Querier() {
      @Override
      public Iterator<Series> select(SelectHints hints, List<Matcher> matchers) {
        List<Series> out = new ArrayList<>();
        series.forEach((l, s) -> {
          for (Matcher m : matchers) {
            if (!m.matches(l.get(m.name()))) {
              return;
            }
          }
          out.add(new Series() {
            @Override
            public Labels labels() {
              return l;
            }

            @Override
            public SampleIterator iterator() {
              return new It(s.ts, s.vs);
            }
          });
        });
        return out.iterator();
      }

      @Override
      public List<String> labelNames(List<Matcher> matchers) {
        return List.of();
      }

      @Override
      public List<String> labelValues(String name, List<Matcher> matchers) {
        return List.of();
      }

      @Override
      public void close() {}
    };
  }

  private static final class It implements SampleIterator {
    private final long[] ts;
    private final double[] vs;
    private int i = -1;

    It(long[] ts, double[] vs) {
      this.ts = ts;
      this.vs = vs;
    }

    @Override
    public boolean next() {
      return ++i < ts.length;
    }

    @Override
    public boolean seek(long t) {
      if (i < 0) {
        i = 0;
      }
      while (i < ts.length && ts[i] < t) {
        i++;
      }
      return i < ts.length;
    }

    @Override
    public long timestamp() {
      return ts[i];
    }

    @Override
    public double value() {
      return vs[i];
    }
  }
}
