package io.loupe.tsdb.head;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Querier;
import io.loupe.model.SampleIterator;
import io.loupe.model.SelectHints;
import io.loupe.model.Series;
import io.loupe.model.Tenant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads one tenant's head over {@code [mint, maxt]}. Selection copies what it needs under each shard's lock (frozen
 * chunks are shared, the open chunk is copied), so iteration runs without locks while appends continue.
 */
final class HeadQuerier implements Querier {
  private final Head head;
  private final Tenant tenant;
  private final long mint;
  private final long maxt;

  HeadQuerier(Head head, Tenant tenant, long mint, long maxt) {
    this.head = head;
    this.tenant = tenant;
    this.mint = mint;
    this.maxt = maxt;
  }

  /** A selected series: labels and the chunks overlapping the range, as of selection time. */
  private record SnapshotSeries(Labels labels, byte[][] chunks, long[] maxTs, long lo, long hi) implements Series {
    @Override
    public SampleIterator iterator() {
      return chunks.length == 0 ? SampleIterator.EMPTY : new ChunksIterator(chunks, maxTs, lo, hi);
    }
  }

  @Override
  public Iterator<Series> select(SelectHints hints, List<Matcher> matchers) {
    long lo = Math.max(mint, hints.startMs());
    long hi = Math.min(maxt, hints.endMs());
    List<SnapshotSeries> out = new ArrayList<>();
    if (lo > hi) {
      return List.<Series>of().iterator();
    }
    head.forEachMatching(tenant, matchers, lo, hi, s -> {
      if (!hints.needSamples()) {
        out.add(new SnapshotSeries(s.labels, new byte[0][], new long[0], lo, hi));
        return;
      }
      int from = 0;
      int n = s.chunks.size();
      while (from < n && s.chunks.get(from).maxT() < lo) {
        from++;
      }
      int to = from;
      while (to < n && s.chunks.get(to).minT() <= hi) {
        to++;
      }
      byte[][] chunks = new byte[to - from][];
      long[] maxTs = new long[to - from];
      for (int i = from; i < to; i++) {
        chunks[i - from] = s.chunks.get(i).bytes();
        maxTs[i - from] = s.chunks.get(i).maxT();
      }
      out.add(new SnapshotSeries(s.labels, chunks, maxTs, lo, hi));
    });
    out.sort((a, b) -> a.labels().compareTo(b.labels()));
    List<Series> result = new ArrayList<>(out);
    if (hints.limit() > 0 && result.size() > hints.limit()) {
      result = result.subList(0, hints.limit());
    }
    return result.iterator();
  }

  @Override
  public List<String> labelNames(List<Matcher> matchers) {
    TreeSet<String> names = new TreeSet<>();
    head.forEachMatching(tenant, matchers, mint, maxt, s -> {
      for (int i = 0; i < s.labels.size(); i++) {
        names.add(s.labels.name(i));
      }
    });
    return new ArrayList<>(names);
  }

  @Override
  public List<String> labelValues(String name, List<Matcher> matchers) {
    TreeSet<String> values = new TreeSet<>();
    head.forEachMatching(tenant, matchers, mint, maxt, s -> {
      String v = s.labels.get(name);
      if (!v.isEmpty()) {
        values.add(v);
      }
    });
    return new ArrayList<>(values);
  }

  @Override
  public void close() {}
}
