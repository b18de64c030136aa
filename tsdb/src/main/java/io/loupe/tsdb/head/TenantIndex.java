package io.loupe.tsdb.head;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
import io.loupe.tsdb.index.Postings;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import org.roaringbitmap.RoaringBitmap;

/**
 * One tenant's series in one shard: labels to series, and postings to the refs of the series that carry them. Refs are
 * never reused (a collected series leaves a null slot). Guarded by the shard lock.
 */
final class TenantIndex {
  final Tenant tenant;
  final HashMap<Labels, MemSeries> byLabels = new HashMap<>();
  private MemSeries[] byRef = new MemSeries[16];
  private int size;
  final Postings postings = new Postings();
  final ExemplarRing exemplars; // null when exemplars are disabled

  TenantIndex(Tenant tenant, int exemplarCapacity) {
    this.tenant = tenant;
    this.exemplars = exemplarCapacity > 0 ? new ExemplarRing(exemplarCapacity) : null;
  }

  /** One past the highest ref handed out. */
  int size() {
    return size;
  }

  /** The series of {@code ref}, null if it was collected. */
  MemSeries get(int ref) {
    return byRef[ref];
  }

  MemSeries add(long id, Labels given) {
    Labels labels = postings.canonical(given);
    if (size == byRef.length) {
      byRef = Arrays.copyOf(byRef, size * 2);
    }
    MemSeries s = new MemSeries(id, size, labels);
    byRef[size++] = s;
    byLabels.put(labels, s);
    postings.add(s.ref, labels);
    return s;
  }

  void remove(MemSeries s) {
    s.removed = true;
    byRef[s.ref] = null;
    byLabels.remove(s.labels);
    postings.remove(s.ref, s.labels);
  }

  RoaringBitmap select(List<Matcher> matchers) {
    return postings.select(matchers);
  }
}
