package io.loupe.tsdb.record;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes one commit's typed WAL records into a reusable buffer: the bytes of one {@code wlog} record. A batch is a
 * sequence of entries {@code u8 type, varint length, payload}; see docs/format/wal.md. Start each batch with {@link
 * #reset}, then begin/add per type. Not thread-safe (one per shard, used under its lock).
 */
public final class RecordEncoder {
  public static final int SERIES = 1;
  public static final int SAMPLES = 2;
  public static final int EXEMPLARS = 3;
  public static final int METADATA = 4;
  /** A whole encoded chunk of a series (checkpoints carry the head this way, ~1.5 bytes per sample). */
  public static final int CHUNK = 5;
  /** The next series id to hand out (checkpoints), so ids of series that left the head are never reused. */
  public static final int NEXT_ID = 6;
  /**
   * Samples, compact (WAL version 2): ids and timestamps as deltas from the previous sample of the entry, values XOR'd
   * with the previous value and stripped of zero bytes at both ends. Replaces {@link #SAMPLES} in new segments.
   */
  public static final int SAMPLES_COMPACT = 7;

  private byte[] buf = new byte[4096];
  private int len;
  // The open entry: where its length goes, where its payload starts, and its item count.
  private int entryType;
  private int count;
  private long prevTs;
  private long prevId;
  private long prevBits;
  private byte[] entry = new byte[4096];
  private int entryLen;

  public RecordEncoder reset() {
    len = 0;
    entryType = 0;
    return this;
  }

  public byte[] buffer() {
    return buf;
  }

  public int length() {
    return len;
  }

  public boolean isEmpty() {
    return len == 0 && entryType == 0;
  }

  public void series(String tenant, long id, Labels labels) {
    begin(SERIES);
    putString(tenant);
    putVarLong(id);
    putLabels(labels);
    count++;
  }

  /** A sample, in the compact form (docs/format/wal.md, type 7). */
  public void sample(long seriesId, long ts, double value) {
    begin(SAMPLES_COMPACT);
    ensure(10 + 10 + 9);
    byte[] e = entry;
    int p = varint(e, entryLen, zigzag(seriesId - prevId));
    p = varint(e, p, zigzag(ts - prevTs));
    prevId = seriesId;
    prevTs = ts;
    long bits = Double.doubleToRawLongBits(value);
    long x = bits ^ prevBits;
    prevBits = bits;
    if (x == 0) {
      e[p++] = 0;
    } else {
      // zero bytes at both ends are left out: h = trailing zero bytes << 4 | bytes kept (1-8), then those bytes
      int tz = Long.numberOfTrailingZeros(x) >>> 3;
      int n = 8 - (Long.numberOfLeadingZeros(x) >>> 3) - tz;
      e[p++] = (byte) ((tz << 4) | n);
      long v = x >>> (tz << 3);
      for (int i = n - 1; i >= 0; i--) {
        e[p++] = (byte) (v >>> (i << 3));
      }
    }
    entryLen = p;
    count++;
  }

  /** A sample in the version-1 form (type 2), which readers still accept; for tests of old data. */
  public void sampleV1(long seriesId, long ts, double value) {
    begin(SAMPLES);
    putVarLong(seriesId);
    putVarLong(zigzag(ts - prevTs));
    prevTs = ts;
    putLong(Double.doubleToRawLongBits(value));
    count++;
  }

  public void exemplar(long seriesId, Exemplar e) {
    begin(EXEMPLARS);
    putVarLong(seriesId);
    putVarLong(zigzag(e.timestampMs()));
    putLong(Double.doubleToRawLongBits(e.value()));
    putLabels(e.labels());
    count++;
  }

  public void metadata(String tenant, MetricMetadata m) {
    begin(METADATA);
    putString(tenant);
    putString(m.metricFamily());
    putString(m.type().text());
    putString(m.help());
    putString(m.unit());
    count++;
  }

  public void chunk(long seriesId, byte[] chunk) {
    begin(CHUNK);
    putVarLong(seriesId);
    putVarLong(chunk.length);
    ensure(chunk.length);
    System.arraycopy(chunk, 0, entry, entryLen, chunk.length);
    entryLen += chunk.length;
    count++;
  }

  public void nextSeriesId(long id) {
    begin(NEXT_ID);
    putVarLong(id);
    count++;
  }

  /** Bytes encoded so far, including the open entry. */
  public int size() {
    return len + entryLen;
  }

  /** Closes the open entry; call before reading {@link #buffer()}. */
  public RecordEncoder finish() {
    flushEntry();
    return this;
  }

  private void begin(int type) {
    if (entryType == type) {
      return;
    }
    flushEntry();
    entryType = type;
    entryLen = 0;
    count = 0;
    prevTs = 0;
    prevId = 0;
    prevBits = 0;
  }

  private void flushEntry() {
    if (entryType == 0) {
      return;
    }
    // entry := type, varint payload length, payload := varint count, items
    byte[] hdr = new byte[10];
    int h = varint(hdr, 0, count);
    ensureOut(1 + 10 + h + entryLen);
    buf[len++] = (byte) entryType;
    len = varint(buf, len, h + entryLen);
    System.arraycopy(hdr, 0, buf, len, h);
    len += h;
    System.arraycopy(entry, 0, buf, len, entryLen);
    len += entryLen;
    entryType = 0;
    entryLen = 0;
  }

  private static int varint(byte[] b, int p, long v) {
    while ((v & ~0x7FL) != 0) {
      b[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    return p;
  }

  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private void ensureOut(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
    }
  }

  private void ensure(int n) {
    if (entryLen + n > entry.length) {
      entry = Arrays.copyOf(entry, Math.max(entryLen + n, entry.length * 2));
    }
  }

  private void putVarLong(long v) {
    ensure(10);
    entryLen = varint(entry, entryLen, v);
  }

  private void putLong(long v) {
    ensure(8);
    for (int i = 7; i >= 0; i--) {
      entry[entryLen++] = (byte) (v >>> (8 * i));
    }
  }

  private void putString(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    putVarLong(b.length);
    ensure(b.length);
    System.arraycopy(b, 0, entry, entryLen, b.length);
    entryLen += b.length;
  }

  private void putLabels(Labels l) {
    putVarLong(l.size());
    for (int i = 0; i < l.size(); i++) {
      putString(l.name(i));
      putString(l.value(i));
    }
  }
}
