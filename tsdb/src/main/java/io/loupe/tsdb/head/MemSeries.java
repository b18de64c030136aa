package io.loupe.tsdb.head;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.chunkenc.XorIterator;
import java.util.ArrayList;

/**
 * One series in the head: its identity and its chunks, sorted by time and never overlapping. All chunks but the last
 * are frozen. Guarded by its shard's lock.
 */
final class MemSeries {
  static final int ABSENT = 0;
  static final int SAME = 1;
  static final int DIFFERENT = 2;

  final long id;
  final int ref; // index in its TenantIndex, the id in postings bitmaps
  final Labels labels;
  final ArrayList<XorChunk> chunks = new ArrayList<>(2);
  long minT = Long.MAX_VALUE;
  long maxT = Long.MIN_VALUE;
  private long lastValueBits;
  long lastExemplarTs = Long.MIN_VALUE;
  Exemplar lastExemplar;

  MemSeries(long id, int ref, Labels labels) {
    this.id = id;
    this.ref = ref;
    this.labels = labels;
  }

  boolean overlaps(long lo, long hi) {
    return !chunks.isEmpty() && minT <= hi && maxT >= lo;
  }

  /** Whether a sample at {@code t} exists: {@link #ABSENT}, or with the {@link #SAME} or a {@link #DIFFERENT} value. */
  int lookup(long t, long valueBits) {
    if (chunks.isEmpty() || t > maxT || t < minT) {
      return ABSENT;
    }
    if (t == maxT) {
      return lastValueBits == valueBits ? SAME : DIFFERENT;
    }
    XorChunk c = chunks.get(chunkFor(t));
    if (t < c.minT()) {
      return ABSENT;
    }
    XorIterator it = c.iterator();
    if (it.seek(t) && it.timestamp() == t) {
      return it.valueBits() == valueBits ? SAME : DIFFERENT;
    }
    return ABSENT;
  }

  /** Adds a sample that {@link #lookup} reported {@link #ABSENT}; out-of-order ones are merged into their chunk. */
  void append(long t, double v) {
    if (chunks.isEmpty() || t > maxT) {
      XorChunk last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
      if (last == null || last.count() >= XorChunk.TARGET_SAMPLES) {
        if (last != null) {
          last.freeze();
        }
        last = new XorChunk();
        chunks.add(last);
      }
      last.append(t, v);
      maxT = t;
      lastValueBits = Double.doubleToRawLongBits(v);
      if (t < minT) {
        minT = t;
      }
      return;
    }
    insertOutOfOrder(t, v);
    if (t < minT) {
      minT = t;
    }
  }

  private void insertOutOfOrder(long t, double v) {
    // Out-of-order samples are rare (a late batch, a retry): rebuilding one ~120-sample chunk is cheaper than keeping a
    // second structure that every read would have to merge.
    int ci = chunkFor(t);
    XorChunk c = chunks.get(ci);
    int n = c.count();
    long[] ts = new long[n + 1];
    double[] vs = new double[n + 1];
    XorIterator it = c.iterator();
    int k = 0;
    boolean placed = false;
    while (it.next()) {
      if (!placed && it.timestamp() > t) {
        ts[k] = t;
        vs[k++] = v;
        placed = true;
      }
      ts[k] = it.timestamp();
      vs[k++] = it.value();
    }
    if (!placed) {
      ts[k] = t;
      vs[k++] = v;
    }
    XorChunk rebuilt = XorChunk.of(ts, vs, k);
    if (ci < chunks.size() - 1) {
      rebuilt.freeze();
    }
    chunks.set(ci, rebuilt);
  }

  /** The first chunk whose maxT is at or after {@code t} (the last chunk if none). */
  private int chunkFor(long t) {
    int lo = 0;
    int hi = chunks.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (chunks.get(mid).maxT() >= t) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  long retainedBytes() {
    long n = 96 + 16L * labels.size();
    for (XorChunk c : chunks) {
      n += c.retainedBytes();
    }
    return n;
  }
}
