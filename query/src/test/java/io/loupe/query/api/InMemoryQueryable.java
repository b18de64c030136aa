package io.loupe.query.api;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.MetricMetadata;
import io.loupe.model.Querier;
import io.loupe.model.Queryable;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.SeriesExemplars;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only {@link Queryable} over series held in memory, per tenant: enough for the HTTP layer's tests (selection by
 * matchers and time range, label names and values, exemplars, metadata). Not a store.
 */
final class InMemoryQueryable implements Queryable {
  private final Map<Tenant, TreeMap<Labels, TreeMap<Long, Double>>> data = new ConcurrentHashMap<>();
  private final Map<Tenant, Map<Labels, List<Exemplar>>> exemplars = new ConcurrentHashMap<>();
  private final Map<String, List<MetricMetadata>> metadata = new LinkedHashMap<>();
  final AtomicInteger openQueriers = new AtomicInteger();
  volatile long lastMint;
  volatile long lastMaxt;

  InMemoryQueryable add(Tenant t, Labels l, long ts, double v) {
    data.computeIfAbsent(t, k -> new TreeMap<>()).computeIfAbsent(l, k -> new TreeMap<>()).put(ts, v);
    return this;
  }

  InMemoryQueryable add(Labels l, long ts, double v) {
    return add(Tenant.ANONYMOUS, l, ts, v);
  }

  InMemoryQueryable addExemplar(Labels series, Exemplar e) {
    exemplars.computeIfAbsent(Tenant.ANONYMOUS, k -> new LinkedHashMap<>())
        .computeIfAbsent(series, k -> new ArrayList<>()).add(e);
    return this;
  }

  InMemoryQueryable addMetadata(MetricMetadata m) {
    metadata.computeIfAbsent(m.metricFamily(), k -> new ArrayList<>()).add(m);
    return this;
  }

  private static boolean matches(Labels l, List<Matcher> ms) {
    for (Matcher m : ms) {
      if (!m.matches(l.get(m.name()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Querier querier(Tenant tenant, long mintMs, long maxtMs) {
    lastMint = mintMs;
    lastMaxt = maxtMs;
    openQueriers.incrementAndGet();
    TreeMap<Labels, TreeMap<Long, Double>> all = data.getOrDefault(tenant, new TreeMap<>());
    return new Querier() {
      private boolean closed;

      private List<Labels> selected(List<Matcher> ms) {
        List<Labels> out = new ArrayList<>();
        for (Map.Entry<Labels, TreeMap<Long, Double>> e : all.entrySet()) {
          if (matches(e.getKey(), ms) && !e.getValue().subMap(mintMs, true, maxtMs, true).isEmpty()) {
            out.add(e.getKey());
          }
        }
        return out;
      }

      @Override
      public Iterator<Series> select(SelectHints hints, List<Matcher> matchers) {
        List<Series> out = new ArrayList<>();
        for (Labels l : selected(matchers)) {
          if (hints.limit() > 0 && out.size() == hints.limit()) {
            break;
          }
          TreeMap<Long, Double> samples = new TreeMap<>(all.get(l).subMap(hints.startMs(), true, hints.endMs(), true));
          out.add(new Series() {
            @Override
            public Labels labels() {
              return l;
            }

            @Override
            public SampleIterator iterator() {
              return iteratorOf(samples);
            }
          });
        }
        return out.iterator();
      }

      @Override
      public List<String> labelNames(List<Matcher> matchers) {
        TreeSet<String> names = new TreeSet<>();
        for (Labels l : selected(matchers)) {
          l.forEach((n, v) -> names.add(n));
        }
        return new ArrayList<>(names);
      }

      @Override
      public List<String> labelValues(String name, List<Matcher> matchers) {
        TreeSet<String> values = new TreeSet<>();
        for (Labels l : selected(matchers)) {
          if (l.has(name)) {
            values.add(l.get(name));
          }
        }
        return new ArrayList<>(values);
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          openQueriers.decrementAndGet();
        }
      }
    };
  }

  private static SampleIterator iteratorOf(TreeMap<Long, Double> samples) {
    long[] ts = samples.keySet().stream().mapToLong(Long::longValue).toArray();
    double[] vs = samples.values().stream().mapToDouble(Double::doubleValue).toArray();
    return new SampleIterator() {
      int i = -1;

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
    };
  }

  @Override
  public List<SeriesExemplars> exemplars(Tenant tenant, long startMs, long endMs, List<List<Matcher>> matcherSets) {
    List<SeriesExemplars> out = new ArrayList<>();
    for (Map.Entry<Labels, List<Exemplar>> e : exemplars.getOrDefault(tenant, Map.of()).entrySet()) {
      boolean any = matcherSets.stream().anyMatch(ms -> matches(e.getKey(), ms));
      if (!any) {
        continue;
      }
      List<Exemplar> in = e.getValue().stream()
          .filter(x -> x.timestampMs() >= startMs && x.timestampMs() <= endMs).toList();
      if (!in.isEmpty()) {
        out.add(new SeriesExemplars(e.getKey(), in));
      }
    }
    return out;
  }

  @Override
  public Map<String, List<MetricMetadata>> metadata(Tenant tenant, String metric, int limit) {
    Map<String, List<MetricMetadata>> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<MetricMetadata>> e : metadata.entrySet()) {
      if (metric != null && !metric.equals(e.getKey())) {
        continue;
      }
      if (limit > 0 && out.size() == limit) {
        break;
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }
}
