package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    int th = TraceIds.tenantHash(key.tenant());
    int total = 0;
    for (int i = firstAtLeast(key); i < count && compare(i, key.hi(), key.lo()) == 0; i++) {
      int p = i * ENTRY_BYTES;
      if (entries.getInt(p + 16) == th) {
        total += entries.getInt(p + 20);
      }
    }
    return total;
  }

  private int firstAtLeast(TraceKey key) {
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (compare(mid, key.hi(), key.lo()) < 0) {
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

  /** The in-memory index of a segment being written or scanned. Not thread-safe: callers hold the shard lock. */
  public static final class Builder {
    private static final class Locations {
      long[] offsets = new long[2];
      int[] counts = new int[2];
      int n;

      void add(long offset, int count) {
        if (n == offsets.length) {
          offsets = java.util.Arrays.copyOf(offsets, n * 2);
          counts = java.util.Arrays.copyOf(counts, n * 2);
        }
        offsets[n] = offset;
        counts[n] = count;
        n++;
      }
    }

    private final Map<TraceKey, Locations> byKey = new HashMap<>();
    private long spanCount;
    private long minStart = Long.MAX_VALUE;
    private long maxEnd = Long.MIN_VALUE;
    private long minWritten = Long.MAX_VALUE;
    private long maxWritten = Long.MIN_VALUE;

    public void add(SpanCodec.Header h, long offset) {
      for (int i = 0; i < h.traceIds().length; i++) {
        byKey.computeIfAbsent(TraceKey.of(h.tenant(), h.traceIds()[i]), k -> new Locations())
            .add(offset, h.spanCounts()[i]);
      }
      spanCount += h.spanCount();
      minStart = Math.min(minStart, h.minStartNanos());
      maxEnd = Math.max(maxEnd, h.maxEndNanos());
      minWritten = Math.min(minWritten, h.writtenAtMs());
      maxWritten = Math.max(maxWritten, h.writtenAtMs());
    }

    public boolean isEmpty() {
      return byKey.isEmpty();
    }

    /** Whether {@code key} has spans in this segment so far. */
    public boolean contains(TraceKey key) {
      return byKey.containsKey(key);
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
      Locations l = byKey.get(key);
      if (l == null) {
        return -1;
      }
      int n = 0;
      for (int i = 0; i < l.n; i++) {
        n += l.counts[i];
      }
      return n;
    }

    /** Spans of {@code key} in this segment so far. */
    public int spanCount(TraceKey key) {
      Locations l = byKey.get(key);
      int n = 0;
      if (l != null) {
        for (int i = 0; i < l.n; i++) {
          n += l.counts[i];
        }
      }
      return n;
    }

    public long[] offsets(TraceKey key) {
      Locations l = byKey.get(key);
      return l == null ? new long[0] : java.util.Arrays.copyOf(l.offsets, l.n);
    }

    /** Writes the index of a segment of {@code segmentLength} bytes to {@code file}, atomically (tmp + rename). */
    public void write(Path file, long segmentLength) throws IOException {
      List<long[]> rows = new ArrayList<>(byKey.size());
      for (Map.Entry<TraceKey, Locations> e : byKey.entrySet()) {
        TraceKey k = e.getKey();
        Locations l = e.getValue();
        long th = TraceIds.tenantHash(k.tenant());
        for (int i = 0; i < l.n; i++) {
          rows.add(new long[] {k.hi(), k.lo(), th, l.counts[i], l.offsets[i]});
        }
      }
      rows.sort((a, b) -> {
        for (int i = 0; i < a.length; i++) {
          int c = Long.compare(a[i], b[i]);
          if (c != 0) {
            return c;
          }
        }
        return 0;
      });
      byte[] header = FileHeader.encode(SegmentFiles.INDEX_FORMAT, SegmentFiles.INDEX_VERSION);
      ByteBuffer b = ByteBuffer.allocate(header.length + rows.size() * ENTRY_BYTES + FOOTER_BYTES);
      b.put(header);
      for (long[] r : rows) {
        b.putLong(r[0]).putLong(r[1]).putInt((int) r[2]).putInt((int) r[3]).putLong(r[4]);
      }
      boolean empty = byKey.isEmpty();
      b.putLong(rows.size()).putLong(segmentLength).putLong(spanCount).putLong(empty ? 0 : minStart)
          .putLong(empty ? 0 : maxEnd).putLong(empty ? 0 : minWritten).putLong(empty ? 0 : maxWritten);
      CRC32C crc = new CRC32C();
      crc.update(b.array(), 0, b.position());
      b.putInt((int) crc.getValue());
      b.flip();
      SegmentFiles.writeAtomically(file, b);
    }
  }
}
