package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The trace index of one segment. While the segment is active it lives in memory ({@link Builder}); when it is sealed
 * it is written to a {@code .idx} file of fixed-size entries sorted by trace id, which {@link #open} maps and binary
 * searches. Format in docs/format/span-segment.md.
 */
public final class SegmentIndex {
  static final int ENTRY_BYTES = 32;
  static final int FOOTER_BYTES = 7 * 8 + 4;

  /** Time range and counts of a segment, kept in the index footer. */
  public record Meta(
      long segmentLength, long spanCount, long minStartNanos, long maxEndNanos, long minWrittenMs,
      long maxWrittenMs) {}

  private final Path file;
  private final ByteBuffer entries; // read-only view of the entries region
  private final int count;
  private final Meta meta;

  private SegmentIndex(Path file, ByteBuffer entries, int count, Meta meta) {
    this.file = file;
    this.entries = entries;
    this.count = count;
    this.meta = meta;
  }

  public Meta meta() {
    return meta;
  }

  /** Entries (one per trace and record): an upper bound of the segment's traces. */
  public int entryCount() {
    return count;
  }

  public Path file() {
    return file;
  }

  /** Maps and checks an index file: header, size and checksum. */
  public static SegmentIndex open(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      int headerLen = FileHeader.length(SegmentFiles.INDEX_FORMAT);
      if (size > Integer.MAX_VALUE) {
        throw new CorruptFileException(file, 0, "index of " + size + " bytes (expected: < 2 GiB)");
      }
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      FileHeader.check(map.duplicate(), file, SegmentFiles.INDEX_FORMAT, SegmentFiles.INDEX_VERSION);
      if (size < headerLen + FOOTER_BYTES || (size - headerLen - FOOTER_BYTES) % ENTRY_BYTES != 0) {
        throw new CorruptFileException(file, headerLen,
            "size " + size + " is not header + n * " + ENTRY_BYTES + " + footer " + FOOTER_BYTES);
      }
      int footer = (int) size - FOOTER_BYTES;
      CRC32C crc = new CRC32C();
      ByteBuffer all = map.duplicate();
      all.position(0).limit(footer + FOOTER_BYTES - 4);
      crc.update(all);
      int stored = map.getInt(footer + FOOTER_BYTES - 4);
      if ((int) crc.getValue() != stored) {
        throw new CorruptFileException(file, footer + FOOTER_BYTES - 4,
            String.format("checksum 0x%08x (expected: 0x%08x)", stored, (int) crc.getValue()));
      }
      long n = map.getLong(footer);
      if (n != (footer - headerLen) / ENTRY_BYTES) {
        throw new CorruptFileException(file, footer, "entry count " + n + " does not match the file size");
      }
      Meta meta = new Meta(map.getLong(footer + 8), map.getLong(footer + 16), map.getLong(footer + 24),
          map.getLong(footer + 32), map.getLong(footer + 40), map.getLong(footer + 48));
      ByteBuffer e = map.duplicate();
      e.position(headerLen).limit(footer);
      return new SegmentIndex(file, e.slice(), (int) n, meta);
    }
  }

  /** Record offsets in the segment holding spans of {@code key}, in write order. */
  public long[] offsets(TraceKey key) {
    int th = TraceIds.tenantHash(key.tenant());
    long[] out = new long[4];
    int n = 0;
    for (int i = firstAtLeast(key); i < count && compare(i, key.hi(), key.lo()) == 0; i++) {
      int p = i * ENTRY_BYTES;
      if (entries.getInt(p + 16) == th) {
        if (n == out.length) {
          out = java.util.Arrays.copyOf(out, n * 2);
        }
        out[n++] = entries.getLong(p + 24);
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** Receives the traces of an index: trace id halves and tenant hash. */
  public interface TraceVisitor {
    void visit(long hi, long lo, int tenantHash);
  }

  /** Visits every (trace, tenant hash) of this segment once, in index order. */
  public void forEachTrace(TraceVisitor v) {
    long ph = 0;
    long pl = 0;
    int pt = 0;
    for (int i = 0; i < count; i++) {
      int p = i * ENTRY_BYTES;
      long hi = entries.getLong(p);
      long lo = entries.getLong(p + 8);
      int th = entries.getInt(p + 16);
      if (i == 0 || hi != ph || lo != pl || th != pt) {
        v.visit(hi, lo, th);
        ph = hi;
        pl = lo;
        pt = th;
      }
    }
  }

  /** Spans of {@code key} in this segment. */
  public int spanCount(TraceKey key) {
    return spanCount(TraceIds.tenantHash(key.tenant()), key.hi(), key.lo());
  }

  /** Spans of trace {@code (hi, lo)} of the tenant whose {@link TraceIds#tenantHash} is {@code tenantHash}. */
  public int spanCount(int tenantHash, long traceHi, long traceLo) {
    int total = 0;
    for (int i = firstAtLeast(traceHi, traceLo); i < count && compare(i, traceHi, traceLo) == 0; i++) {
      int p = i * ENTRY_BYTES;
      if (entries.getInt(p + 16) == tenantHash) {
        total += entries.getInt(p + 20);
      }
    }
    return total;
  }

  private int firstAtLeast(TraceKey key) {
    return firstAtLeast(key.hi(), key.lo());
  }

  private int firstAtLeast(long traceHi, long traceLo) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (compare(mid, traceHi, traceLo) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private int compare(int i, long hi, long lo) {
    int p = i * ENTRY_BYTES;
    int c = Long.compare(entries.getLong(p), hi);
    return c != 0 ? c : Long.compare(entries.getLong(p + 8), lo);
  }

  /**
   * Which traces a segment may hold: a blocked Bloom filter (one 64-bit word per trace's lookup, two bits set in it),
   * ~16 bits per trace, about 1 % false positives. The shard keeps one for the segment before the active one, so the
   * per-trace limit does not binary search that segment's {@code .idx} for every new trace of every write (~0.8 µs a
   * lookup in a mapped index of a million traces, nearly all of them for traces that are not there).
   */
  public static final class TraceFilter {
    private final long[] words;
    private final int mask;

    private TraceFilter(int traces) {
      int n = Integer.highestOneBit(Math.max(64, traces / 4 - 1) * 2); // >= 16 bits per trace, a power of two
      words = new long[n];
      mask = n - 1;
    }

    private static long hash(int tenantHash, long hi, long lo) {
      long h = (hi * 0x9E3779B97F4A7C15L) ^ lo ^ ((tenantHash & 0xFFFFFFFFL) << 17);
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      return h;
    }

    private void add(int tenantHash, long hi, long lo) {
      long h = hash(tenantHash, hi, lo);
      words[(int) (h >>> 40) & mask] |= (1L << h) | (1L << (h >>> 6));
    }

    /** False when the segment holds no spans of trace {@code (hi, lo)} of the tenant with this hash. */
    public boolean mightContain(int tenantHash, long hi, long lo) {
      long h = hash(tenantHash, hi, lo);
      long bits = (1L << h) | (1L << (h >>> 6));
      return (words[(int) (h >>> 40) & mask] & bits) == bits;
    }
  }

  /**
   * The in-memory index of a segment being written or scanned. Not thread-safe: callers hold the shard lock.
   *
   * <p>Primitive arrays with open addressing over (trace id halves, tenant) rather than a {@code HashMap<TraceKey,
   * Locations>}: the per-write lookup of every trace was 3.2 % of a node profile (a node, a key record and a
   * locations object per trace, ~150 bytes, each a cache miss away), and this holds a trace in ~40 bytes plus 16 per
   * record it is in.
   */
  public static final class Builder {
    private String[] tenants = new String[2];
    private int[] tenantHashes = new int[2];
    private int tenantCount;

    private long[] his = new long[64];
    private long[] los = new long[64];
    private int[] tenantOf = new int[64];
    private int[] totals = new int[64]; // spans per trace
    private int[] firstLoc = new int[64];
    private int[] lastLoc = new int[64];
    private int traceCount;
    private int[] table = new int[128]; // trace index + 1, 0 = free

    private long[] locOffsets = new long[64];
    private int[] locCounts = new int[64];
    private int[] locNext = new int[64]; // next location of the same trace, -1 at the end
    private int locCount;

    private long spanCount;
    private long minStart = Long.MAX_VALUE;
    private long maxEnd = Long.MIN_VALUE;
    private long minWritten = Long.MAX_VALUE;
    private long maxWritten = Long.MIN_VALUE;

    /** The number of {@code tenant} in this index, registered when new. */
    public int tenantId(String tenant) {
      int t = tenantIndex(tenant);
      if (t >= 0) {
        return t;
      }
      if (tenantCount == tenants.length) {
        tenants = Arrays.copyOf(tenants, tenantCount * 2);
        tenantHashes = Arrays.copyOf(tenantHashes, tenantCount * 2);
      }
      tenants[tenantCount] = tenant;
      tenantHashes[tenantCount] = TraceIds.tenantHash(tenant);
      return tenantCount++;
    }

    /** The number of {@code tenant} in this index, or -1 when it has no spans here (nothing is registered). */
    public int tenantIdOrMinusOne(String tenant) {
      return tenantIndex(tenant);
    }

    private int tenantIndex(String tenant) {
      for (int i = 0; i < tenantCount; i++) {
        if (tenants[i] == tenant || tenants[i].equals(tenant)) {
          return i;
        }
      }
      return -1;
    }

    private static int slot(int tenant, long hi, long lo, int mask) {
      long h = (hi ^ Long.rotateLeft(lo, 29) ^ ((long) tenant << 47)) * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 40) & mask;
    }

    /** Index of the trace, or -1. */
    private int find(int tenant, long hi, long lo) {
      if (tenant < 0) {
        return -1;
      }
      int mask = table.length - 1;
      for (int i = slot(tenant, hi, lo, mask); ; i = (i + 1) & mask) {
        int t = table[i] - 1;
        if (t < 0) {
          return -1;
        }
        if (his[t] == hi && los[t] == lo && tenantOf[t] == tenant) {
          return t;
        }
      }
    }

    private int findOrAdd(int tenant, long hi, long lo) {
      int mask = table.length - 1;
      for (int i = slot(tenant, hi, lo, mask); ; i = (i + 1) & mask) {
        int t = table[i] - 1;
        if (t < 0) {
          if (2 * (traceCount + 1) > table.length) {
            growTraces();
            return findOrAdd(tenant, hi, lo);
          }
          t = traceCount++;
          his[t] = hi;
          los[t] = lo;
          tenantOf[t] = tenant;
          totals[t] = 0;
          firstLoc[t] = -1;
          lastLoc[t] = -1;
          table[i] = t + 1;
          return t;
        }
        if (his[t] == hi && los[t] == lo && tenantOf[t] == tenant) {
          return t;
        }
      }
    }

    private void growTraces() {
      int cap = his.length * 2;
      his = Arrays.copyOf(his, cap);
      los = Arrays.copyOf(los, cap);
      tenantOf = Arrays.copyOf(tenantOf, cap);
      totals = Arrays.copyOf(totals, cap);
      firstLoc = Arrays.copyOf(firstLoc, cap);
      lastLoc = Arrays.copyOf(lastLoc, cap);
      table = new int[cap * 2];
      int mask = table.length - 1;
      for (int t = 0; t < traceCount; t++) {
        int i = slot(tenantOf[t], his[t], los[t], mask);
        while (table[i] != 0) {
          i = (i + 1) & mask;
        }
        table[i] = t + 1;
      }
    }

    private void addLocation(int t, long offset, int count) {
      if (locCount == locOffsets.length) {
        int cap = locCount * 2;
        locOffsets = Arrays.copyOf(locOffsets, cap);
        locCounts = Arrays.copyOf(locCounts, cap);
        locNext = Arrays.copyOf(locNext, cap);
      }
      int l = locCount++;
      locOffsets[l] = offset;
      locCounts[l] = count;
      locNext[l] = -1;
      if (lastLoc[t] < 0) {
        firstLoc[t] = l;
      } else {
        locNext[lastLoc[t]] = l;
      }
      lastLoc[t] = l;
      totals[t] += count;
    }

    public void add(SpanCodec.Header h, long offset) {
      int tenant = tenantId(h.tenant());
      byte[][] ids = h.traceIds();
      for (int i = 0; i < ids.length; i++) {
        int t = findOrAdd(tenant, TraceIds.high(ids[i]), TraceIds.low(ids[i]));
        addLocation(t, offset, h.spanCounts()[i]);
      }
      spanCount += h.spanCount();
      minStart = Math.min(minStart, h.minStartNanos());
      maxEnd = Math.max(maxEnd, h.maxEndNanos());
      minWritten = Math.min(minWritten, h.writtenAtMs());
      maxWritten = Math.max(maxWritten, h.writtenAtMs());
    }

    public boolean isEmpty() {
      return traceCount == 0;
    }

    /** A filter of the traces in this segment so far. */
    public TraceFilter traceFilter() {
      TraceFilter f = new TraceFilter(traceCount);
      for (int t = 0; t < traceCount; t++) {
        f.add(tenantHashes[tenantOf[t]], his[t], los[t]);
      }
      return f;
    }

    /** Traces (per tenant) in this segment so far. */
    public int traceCount() {
      return traceCount;
    }

    /** Whether {@code key} has spans in this segment so far. */
    public boolean contains(TraceKey key) {
      return find(tenantIndex(key.tenant()), key.hi(), key.lo()) >= 0;
    }

    public long maxWrittenMs() {
      return maxWritten;
    }

    public long minStartNanos() {
      return minStart;
    }

    public long maxEndNanos() {
      return maxEnd;
    }

    /** Spans of {@code key} in this segment so far, or -1 when it has none here. */
    public int spanCountOrMinusOne(TraceKey key) {
      return spanCountOrMinusOne(tenantIndex(key.tenant()), key.hi(), key.lo());
    }

    /** Spans of trace {@code (hi, lo)} of tenant number {@code tenantId} ({@link #tenantId}), or -1 when none. */
    public int spanCountOrMinusOne(int tenantId, long hi, long lo) {
      int t = find(tenantId, hi, lo);
      return t < 0 ? -1 : totals[t];
    }

    /** Spans of {@code key} in this segment so far. */
    public int spanCount(TraceKey key) {
      return Math.max(0, spanCountOrMinusOne(key));
    }

    public long[] offsets(TraceKey key) {
      int t = find(tenantIndex(key.tenant()), key.hi(), key.lo());
      if (t < 0) {
        return new long[0];
      }
      int n = 0;
      for (int l = firstLoc[t]; l >= 0; l = locNext[l]) {
        n++;
      }
      long[] out = new long[n];
      n = 0;
      for (int l = firstLoc[t]; l >= 0; l = locNext[l]) {
        out[n++] = locOffsets[l];
      }
      return out;
    }

    /** Writes the index of a segment of {@code segmentLength} bytes to {@code file}, atomically (tmp + rename). */
    public void write(Path file, long segmentLength) throws IOException {
      int[] order = sortedOrder();
      byte[] header = FileHeader.encode(SegmentFiles.INDEX_FORMAT, SegmentFiles.INDEX_VERSION);
      ByteBuffer b = ByteBuffer.allocate(header.length + locCount * ENTRY_BYTES + FOOTER_BYTES);
      b.put(header);
      for (int t : order) {
        int th = tenantHashes[tenantOf[t]];
        for (int l = firstLoc[t]; l >= 0; l = locNext[l]) { // in write order: ascending offsets
          b.putLong(his[t]).putLong(los[t]).putInt(th).putInt(locCounts[l]).putLong(locOffsets[l]);
        }
      }
      boolean empty = traceCount == 0;
      b.putLong(locCount).putLong(segmentLength).putLong(spanCount).putLong(empty ? 0 : minStart)
          .putLong(empty ? 0 : maxEnd).putLong(empty ? 0 : minWritten).putLong(empty ? 0 : maxWritten);
      CRC32C crc = new CRC32C();
      crc.update(b.array(), 0, b.position());
      b.putInt((int) crc.getValue());
      b.flip();
      SegmentFiles.writeAtomically(file, b);
    }

    /** Entry order: trace id halves and tenant hash as signed numbers, then the tenant's number (hash collisions). */
    private int compare(int a, int b) {
      int c = Long.compare(his[a], his[b]);
      if (c == 0) {
        c = Long.compare(los[a], los[b]);
      }
      if (c == 0) {
        c = Integer.compare(tenantHashes[tenantOf[a]], tenantHashes[tenantOf[b]]);
      }
      return c != 0 ? c : Integer.compare(tenantOf[a], tenantOf[b]);
    }

    private static final int INDEX_BITS = 22;

    /**
     * The trace numbers in {@link #compare} order. Up to 2^22 traces (~25 M spans of pipeline traces; a 256 MiB segment
     * holds ~1.2 M), by the primitive sort of one long per trace: the top 42 bits of its id's high half over its
     * number, then the runs of equal prefixes by a second such key ({@link #sortRun}) and the rare ties left by
     * comparing. The quicksort of numbers comparing through the id arrays, which it replaces, was ~2.5 % of a node's CPU
     * samples at 150k spans/s (a cache miss per comparison).
     */
    int[] sortedOrder() {
      int[] order = new int[traceCount];
      if (traceCount >= 1 << INDEX_BITS) {
        for (int t = 0; t < traceCount; t++) {
          order[t] = t;
        }
        sort(order, 0, traceCount);
        return order;
      }
      long[] keys = new long[traceCount];
      long low = (1L << INDEX_BITS) - 1;
      for (int t = 0; t < traceCount; t++) {
        // Flipping the sign bit twice keeps the signed order of the ids' high halves in the signed order of the keys.
        keys[t] = (((his[t] ^ Long.MIN_VALUE) & ~low) | t) ^ Long.MIN_VALUE;
      }
      Arrays.sort(keys);
      for (int i = 0; i < traceCount; i++) {
        order[i] = (int) (keys[i] & low);
      }
      for (int i = 0; i < traceCount; ) {
        int j = i + 1;
        while (j < traceCount && keys[j] >>> INDEX_BITS == keys[i] >>> INDEX_BITS) {
          j++;
        }
        if (j - i > 1) {
          sortRun(order, keys, i, j);
        }
        i = j;
      }
      return order;
    }

    /**
     * Sorts {@code order[from, to)}, traces whose ids' high halves share their top 42 bits, by {@link #compare}, using
     * {@code keys[from, to)} as scratch. Ids that share a prefix are common: time-prefixed ids (X-Ray's carry the
     * epoch second in their first 4 bytes), or ids differing in their low half only (the load generator's rounds). The
     * second key: the low 22 bits of the high half, the top 20 bits of the low half, the position in the run.
     */
    private void sortRun(int[] order, long[] keys, int from, int to) {
      int n = to - from;
      if (n <= 16) {
        sort(order, from, to);
        return;
      }
      long low = (1L << INDEX_BITS) - 1;
      for (int m = 0; m < n; m++) {
        int t = order[from + m];
        long key = ((his[t] & low) << 42) | (((los[t] ^ Long.MIN_VALUE) >>> 44) << INDEX_BITS) | m;
        keys[from + m] = key ^ Long.MIN_VALUE; // the signed order of the flipped keys is their unsigned order
      }
      Arrays.sort(keys, from, to);
      int[] run = Arrays.copyOfRange(order, from, to);
      for (int m = 0; m < n; m++) {
        order[from + m] = run[(int) (keys[from + m] & low)];
      }
      for (int i = from; i < to; ) {
        int j = i + 1;
        while (j < to && keys[j] >>> INDEX_BITS == keys[i] >>> INDEX_BITS) {
          j++;
        }
        if (j - i > 1) {
          sort(order, i, j); // the same id in two tenants, or equal in these 84 bits
        }
        i = j;
      }
    }

    /** Sorts trace numbers {@code a[from, to)} by {@link #compare}: a quicksort on a primitive array. */
    private void sort(int[] a, int from, int to) {
      while (to - from > 16) {
        int mid = (from + to) >>> 1;
        // median of three as the pivot, so sorted input (ids in order) is no worst case
        int x = a[from];
        int y = a[mid];
        int z = a[to - 1];
        int pivot = compare(x, y) < 0 ? (compare(y, z) < 0 ? y : compare(x, z) < 0 ? z : x)
            : (compare(x, z) < 0 ? x : compare(y, z) < 0 ? z : y);
        int i = from;
        int j = to - 1;
        while (i <= j) {
          while (compare(a[i], pivot) < 0) {
            i++;
          }
          while (compare(a[j], pivot) > 0) {
            j--;
          }
          if (i <= j) {
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
            i++;
            j--;
          }
        }
        if (j - from < to - i) { // recurse into the smaller part, loop on the larger
          sort(a, from, j + 1);
          from = i;
        } else {
          sort(a, i, to);
          to = j + 1;
        }
      }
      for (int i = from + 1; i < to; i++) {
        int v = a[i];
        int j = i - 1;
        while (j >= from && compare(a[j], v) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = v;
      }
    }
  }
}
