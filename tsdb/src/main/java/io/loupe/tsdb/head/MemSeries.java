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
  // The last chunk while in-order appends go to it, and the end of its block range: saves the list lookups and two
  // 64-bit divisions per sample. Only this class changes the chunk list, and every change but append's clears it.
  private XorChunk open;
  private long openEnd;
  // Scratch of the commit in progress on this series' shard (guarded by its lock): the commit's stamp, and this
  // series' slot in it, so a batch groups its points by series without a hash map.
  int commitStamp;
  int commitSlot;

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
    // maxT is Long.MIN_VALUE while there are no chunks: the common case (a newer sample) is decided without loading the
    // chunk list, one cache miss less per sample
    if (t > maxT || t < minT || chunks.isEmpty()) {
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

  /**
   * Adds a sample that {@link #lookup} reported {@link #ABSENT}; out-of-order ones are merged into their chunk. Chunks
   * never span a multiple of {@code rangeMs}, so the head can hand whole chunks to a block.
   */
  void append(long t, double v, long rangeMs) {
    if (t > maxT || chunks.isEmpty()) { // the list is loaded only for a sample at or before maxT (out of order)
      XorChunk last = open;
      if (last == null || last.frozen() || last.count() >= XorChunk.TARGET_SAMPLES || t >= openEnd) {
        int n = chunks.size();
        XorChunk prev = n == 0 ? null : chunks.get(n - 1);
        if (prev != null) {
          prev.freeze();
        }
        last = new XorChunk(prev == null ? 64 : prev.nextChunkBytes());
        chunks.add(last);
        open = last;
        openEnd = rangeEnd(t, rangeMs);
      }
      last.append(t, v);
      maxT = t;
      lastValueBits = Double.doubleToRawLongBits(v);
      if (t < minT) {
        minT = t;
      }
      return;
    }
    insertOutOfOrder(t, v, rangeMs);
    if (t < minT) {
      minT = t;
    }
  }

  /** The end (exclusive) of the block range holding {@code t}. */
  private static long rangeEnd(long t, long rangeMs) {
    long w = Math.floorDiv(t, rangeMs);
    return w >= Long.MAX_VALUE / rangeMs - 1 ? Long.MAX_VALUE : (w + 1) * rangeMs; // the last range never ends
  }

  private void insertOutOfOrder(long t, double v, long rangeMs) {
    // Out-of-order samples are rare (a late batch, a retry): rebuilding one ~120-sample chunk is cheaper than keeping a
    // second structure that every read would have to merge.
    open = null;
    int ci = chunkFor(t);
    long window = Math.floorDiv(t, rangeMs);
    if (Math.floorDiv(chunks.get(ci).minT(), rangeMs) != window) {
      if (ci > 0 && Math.floorDiv(chunks.get(ci - 1).minT(), rangeMs) == window) {
        ci--; // t goes at the end of the previous chunk, which is in its window
      } else {
        XorChunk alone = new XorChunk(); // the first sample of its window
        alone.append(t, v);
        chunks.add(ci, alone.freeze());
        return;
      }
    }
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
    if (ci < chunks.size() - 1 || c.frozen()) {
      rebuilt.freeze();
    }
    chunks.set(ci, rebuilt);
  }

  /** Adds a frozen chunk after all others (checkpoint replay). */
  void appendChunk(XorChunk c) {
    open = null;
    chunks.add(c.freeze());
    if (c.minT() < minT) {
      minT = c.minT();
    }
    maxT = c.maxT();
    XorIterator it = c.iterator();
    while (it.next()) {
      lastValueBits = it.valueBits();
    }
  }

  /** Drops the chunks that end before {@code t}; returns how many. */
  int dropBefore(long t) {
    int n = 0;
    while (n < chunks.size() && chunks.get(n).maxT() < t) {
      n++;
    }
    if (n > 0) {
      open = null;
      chunks.subList(0, n).clear();
      minT = chunks.isEmpty() ? Long.MAX_VALUE : chunks.get(0).minT();
      if (chunks.isEmpty()) {
        maxT = Long.MIN_VALUE;
      }
    }
    return n;
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
