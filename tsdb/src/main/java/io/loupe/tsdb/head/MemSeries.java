package io.loupe.tsdb.head;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.tsdb.chunkenc.ChunkIterator;
import io.loupe.tsdb.chunkenc.XorChunk;
import io.loupe.tsdb.chunkenc.XorIterator;

/**
 * One series in the head: its identity and its chunks, sorted by time and never overlapping. All chunks but the last
 * are frozen; frozen chunks live in the shard's {@link HeadChunks} file, the series keeping two longs per chunk (max
 * time, reference; the min time is read from the file's entry when needed), or on the heap when the file could not
 * take them (disk full) or there is no file. The last chunk, while it takes appends, is an {@link XorChunk} on the heap
 * ({@link #open}). Guarded by its shard's lock; methods that touch chunks take the shard's {@link HeadChunks} (null:
 * everything stays on the heap).
 */
final class MemSeries {
  static final int ABSENT = 0;
  static final int SAME = 1;
  static final int DIFFERENT = 2;
  private static final long[] NO_CHUNKS = new long[0];

  final long id;
  final int ref; // index in its TenantIndex, the id in postings bitmaps
  final Labels labels;
  long minT = Long.MAX_VALUE;
  long maxT = Long.MIN_VALUE;
  private long lastValueBits;
  Exemplar lastExemplar; // its timestamp is the series' newest exemplar time: no field of its own (8 bytes a series)
  // Frozen chunks, oldest first, two longs each: maxT, HeadChunks reference (unused when heap[i] is set). Primitive
  // arrays instead of an object per chunk: 16 bytes per chunk of 120 samples. The min time, needed by queries,
  // cuts and out-of-order samples only, is in the chunk file's entry (or the heap chunk): 8 bytes a chunk less.
  private long[] frozen = NO_CHUNKS;
  private int nFrozen;
  private XorChunk[] heap; // frozen chunks kept on the heap, by index; null while there are none
  // The chunk taking appends (always after every frozen one), and the end of its block range: saves two 64-bit
  // divisions per sample. Null when the newest chunk is frozen or there is none.
  private XorChunk open;
  private long openEnd;
  private int nextChunkBytes = 64; // buffer size for the next open chunk: the last full one's size, scaled
  // Scratch of the commit in progress on this series' shard (guarded by its lock): the commit's stamp, and this
  // series' slot in it, so a batch groups its points by series without a hash map.
  int commitStamp;
  int commitSlot;

  MemSeries(long id, int ref, Labels labels) {
    this.id = id;
    this.ref = ref;
    this.labels = labels;
  }

  /** The newest exemplar's timestamp, Long.MIN_VALUE before the first. */
  long lastExemplarTs() {
    Exemplar e = lastExemplar;
    return e == null ? Long.MIN_VALUE : e.timestampMs();
  }

  boolean isEmpty() {
    return nFrozen == 0 && open == null;
  }

  /** Chunks, frozen and open. */
  int chunkCount() {
    return nFrozen + (open == null ? 0 : 1);
  }

  long chunkMinT(int i, HeadChunks disk) {
    if (i >= nFrozen) {
      return open.minT();
    }
    XorChunk h = heap == null ? null : heap[i];
    return h != null ? h.minT() : disk.minT(frozen[2 * i + 1]);
  }

  long chunkMaxT(int i) {
    return i < nFrozen ? frozen[2 * i] : open.maxT();
  }

  /** Whether chunk {@code i} is in the chunk file (not on the heap). */
  boolean onDisk(int i) {
    return i < nFrozen && (heap == null || heap[i] == null);
  }

  /**
   * The bytes of chunk {@code i}: read from the chunk file, shared when frozen on the heap, a copy of the open chunk,
   * so a reader can decode them while the head keeps appending.
   */
  byte[] chunkBytes(int i, HeadChunks disk) {
    if (i >= nFrozen) {
      return open.bytes();
    }
    XorChunk h = heap == null ? null : heap[i];
    return h != null ? h.bytes() : disk.read(frozen[2 * i + 1]);
  }

  boolean overlaps(long lo, long hi) {
    return !isEmpty() && minT <= hi && maxT >= lo;
  }

  /** Whether a sample at {@code t} exists: {@link #ABSENT}, or with the {@link #SAME} or a {@link #DIFFERENT} value. */
  int lookup(long t, long valueBits, HeadChunks disk) {
    // maxT is Long.MIN_VALUE while there are no chunks: the common case (a newer sample) is decided without loading
    // any chunk, one cache miss less per sample
    if (t > maxT || t < minT || isEmpty()) {
      return ABSENT;
    }
    if (t == maxT) {
      return lastValueBits == valueBits ? SAME : DIFFERENT;
    }
    int ci = chunkFor(t);
    if (t < chunkMinT(ci, disk)) {
      return ABSENT;
    }
    ChunkIterator it = new ChunkIterator().reset(chunkBytes(ci, disk));
    if (it.seek(t) && it.timestamp() == t) {
      return it.valueBits() == valueBits ? SAME : DIFFERENT;
    }
    return ABSENT;
  }

  /**
   * Adds a sample that {@link #lookup} reported {@link #ABSENT}; out-of-order ones are merged into their chunk. Chunks
   * never span a multiple of {@code rangeMs}, so the head can hand whole chunks to a block.
   */
  void append(long t, double v, long rangeMs, HeadChunks disk) {
    if (t > maxT || isEmpty()) { // in order: only the open chunk is touched
      XorChunk c = open;
      if (c == null || t >= openEnd) {
        if (c != null) {
          freezeOpen(disk);
        }
        // half the expected size: grown once (doubled) when half full. The open chunk is most of a series' heap once
        // frozen ones are in the file, and on average this holds 3/4 of a full chunk's buffer instead of all of it,
        // for one copy of half a chunk per 120 samples
        c = new XorChunk(nextChunkBytes / 2);
        open = c;
        openEnd = rangeEnd(t, rangeMs);
      }
      c.append(t, v);
      maxT = t;
      lastValueBits = Double.doubleToRawLongBits(v);
      if (t < minT) {
        minT = t;
      }
      if (c.count() >= XorChunk.TARGET_SAMPLES) {
        // A full chunk takes no more appends: off the heap now rather than at the next sample.
        freezeOpen(disk);
      }
      return;
    }
    insertOutOfOrder(t, v, rangeMs, disk);
    if (t < minT) {
      minT = t;
    }
  }

  /** Freezes the open chunk and moves it to the frozen ones (into the chunk file if it takes it). */
  private void freezeOpen(HeadChunks disk) {
    XorChunk c = open;
    open = null;
    nextChunkBytes = c.nextChunkBytes();
    insertFrozen(nFrozen, c.freeze(), disk);
  }

  /** Inserts frozen chunk {@code c} at index {@code i} of the frozen chunks. */
  private void insertFrozen(int i, XorChunk c, HeadChunks disk) {
    if (2 * (nFrozen + 1) > frozen.length) {
      // grow by 2 chunks: a series holds 2-6 chunks between cuts (1-3 h at 15 s), so doubling would mostly waste
      frozen = java.util.Arrays.copyOf(frozen, 2 * (nFrozen + 2));
      if (heap != null) {
        heap = java.util.Arrays.copyOf(heap, nFrozen + 2);
      }
    }
    System.arraycopy(frozen, 2 * i, frozen, 2 * i + 2, 2 * (nFrozen - i));
    if (heap != null) {
      System.arraycopy(heap, i, heap, i + 1, nFrozen - i);
      heap[i] = null;
    }
    nFrozen++;
    setFrozen(i, c, disk);
  }

  /** Stores frozen chunk {@code c} in slot {@code i}: in the chunk file, or on the heap if that fails. */
  private void setFrozen(int i, XorChunk c, HeadChunks disk) {
    frozen[2 * i] = c.maxT();
    long r = disk == null ? -1 : disk.write(id, c.bytes(), c.minT(), c.maxT());
    frozen[2 * i + 1] = r;
    if (r < 0) {
      if (heap == null) {
        heap = new XorChunk[frozen.length / 2];
      }
      heap[i] = c;
    } else if (heap != null) {
      heap[i] = null;
    }
  }

  /** Forgets frozen slot {@code i}'s storage (its file reference is released). */
  private void releaseFrozen(int i, HeadChunks disk) {
    if (heap == null || heap[i] == null) {
      disk.release(frozen[2 * i + 1]);
    } else {
      heap[i] = null;
    }
  }

  /** The end (exclusive) of the block range holding {@code t}. */
  private static long rangeEnd(long t, long rangeMs) {
    long w = Math.floorDiv(t, rangeMs);
    return w >= Long.MAX_VALUE / rangeMs - 1 ? Long.MAX_VALUE : (w + 1) * rangeMs; // the last range never ends
  }

  private void insertOutOfOrder(long t, double v, long rangeMs, HeadChunks disk) {
    // Out-of-order samples are rare (a late batch, a retry): rebuilding one ~120-sample chunk is cheaper than keeping a
    // second structure that every read would have to merge.
    int ci = chunkFor(t);
    long window = Math.floorDiv(t, rangeMs);
    if (Math.floorDiv(chunkMinT(ci, disk), rangeMs) != window) {
      if (ci > 0 && Math.floorDiv(chunkMinT(ci - 1, disk), rangeMs) == window) {
        ci--; // t goes at the end of the previous chunk, which is in its window
      } else {
        XorChunk alone = new XorChunk(32); // the first sample of its window: before chunk ci, so before the open one
        alone.append(t, v);
        insertFrozen(ci, alone.freeze(), disk);
        return;
      }
    }
    byte[] old = chunkBytes(ci, disk);
    int n = ChunkIterator.count(old);
    long[] ts = new long[n + 1];
    double[] vs = new double[n + 1];
    XorIterator it = new XorIterator().reset(old);
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
    if (ci >= nFrozen) {
      open = rebuilt; // the open chunk stays open, in its range
      if (rebuilt.count() >= XorChunk.TARGET_SAMPLES) {
        freezeOpen(disk);
      }
    } else {
      releaseFrozen(ci, disk);
      setFrozen(ci, rebuilt.freeze(), disk);
    }
  }

  /** Adds a frozen chunk after all others (checkpoint replay). */
  void appendChunk(XorChunk c, HeadChunks disk) {
    if (open != null) {
      freezeOpen(disk);
    }
    insertFrozen(nFrozen, c.freeze(), disk);
    if (c.minT() < minT) {
      minT = c.minT();
    }
    maxT = c.maxT();
    XorIterator it = c.iterator();
    while (it.next()) {
      lastValueBits = it.valueBits();
    }
  }

  /** Drops the chunks that end before {@code t}, releasing their file references; returns how many. */
  int dropBefore(long t, HeadChunks disk) {
    int n = 0;
    while (n < nFrozen && frozen[2 * n] < t) {
      releaseFrozen(n, disk);
      n++;
    }
    if (n > 0) {
      System.arraycopy(frozen, 2 * n, frozen, 0, 2 * (nFrozen - n));
      if (heap != null) {
        System.arraycopy(heap, n, heap, 0, nFrozen - n);
        java.util.Arrays.fill(heap, nFrozen - n, nFrozen, null);
      }
      nFrozen -= n;
      if (nFrozen == 0) {
        frozen = NO_CHUNKS;
        heap = null;
      } else if (frozen.length > 2 * (nFrozen + 2)) {
        // a cut drops a range's chunks: give back the room they took (the next range fills it again by 2 chunks)
        frozen = java.util.Arrays.copyOf(frozen, 2 * (nFrozen + 1));
        if (heap != null) {
          heap = java.util.Arrays.copyOf(heap, nFrozen + 1);
        }
      }
    }
    if (nFrozen == 0 && open != null && open.maxT() < t) {
      open = null;
      n++;
    }
    if (n > 0) {
      minT = isEmpty() ? Long.MAX_VALUE : chunkMinT(0, disk);
      if (isEmpty()) {
        maxT = Long.MIN_VALUE;
      }
    }
    return n;
  }

  /** Releases every chunk (the series leaves the head). */
  void dropAll(HeadChunks disk) {
    dropBefore(Long.MAX_VALUE, disk);
  }

  /** The first chunk whose maxT is at or after {@code t} (the last chunk if none). */
  private int chunkFor(long t) {
    int lo = 0;
    int hi = chunkCount() - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (chunkMaxT(mid) >= t) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
