package io.loupe.tsdb.record;

import io.loupe.model.Exemplar;
import io.loupe.model.Labels;
import io.loupe.model.MetricMetadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Decodes a batch written by {@link RecordEncoder}, calling a {@link Visitor} per item. */
public final class RecordDecoder {
  /** Receives decoded items in batch order. */
  public interface Visitor {
    void series(String tenant, long id, Labels labels);

    void sample(long seriesId, long ts, double value);

    void exemplar(long seriesId, Exemplar exemplar);

    void metadata(String tenant, MetricMetadata metadata);

    /** A whole chunk of a series (from a checkpoint). */
    default void chunk(long seriesId, byte[] chunk) {}

    /** The id counter as a checkpoint saw it. */
    default void nextSeriesId(long id) {}

    /** An entry type this version does not know (written by a newer one); it is skipped. */
    default void unknown(int type, int length) {}
  }

  private RecordDecoder() {}

  /**
   * Decodes all entries of {@code b} (position to limit).
   *
   * @throws IllegalArgumentException if the bytes are not a well-formed batch (the checksum matched, so this is a bug or
   *     a foreign writer, not a torn write)
   */
  public static void decode(ByteBuffer b, Visitor v) {
    try {
      while (b.hasRemaining()) {
        int type = b.get() & 0xff;
        int len = (int) varint(b);
        int end = b.position() + len;
        if (len < 0 || end > b.limit()) {
          throw new IllegalArgumentException("entry length " + len + " (expected: <= " + b.remaining() + ")");
        }
        switch (type) {
          case RecordEncoder.SERIES -> {
            long n = varint(b);
            for (long i = 0; i < n; i++) {
              String tenant = string(b);
              long id = varint(b);
              v.series(tenant, id, labels(b));
            }
          }
          case RecordEncoder.SAMPLES -> {
            long n = varint(b);
            long ts = 0;
            for (long i = 0; i < n; i++) {
              long id = varint(b);
              ts += unzigzag(varint(b));
              v.sample(id, ts, Double.longBitsToDouble(b.getLong()));
            }
          }
          case RecordEncoder.SAMPLES_COMPACT -> {
            long n = varint(b);
            long id = 0;
            long ts = 0;
            long bits = 0;
            for (long i = 0; i < n; i++) {
              id += unzigzag(varint(b));
              ts += unzigzag(varint(b));
              int h = b.get() & 0xff;
              if (h != 0) {
                int kept = h & 0x0f;
                int tz = h >>> 4;
                if (kept == 0 || kept + tz > 8) {
                  throw new IllegalArgumentException("sample value header 0x" + Integer.toHexString(h) + " at "
                      + (b.position() - 1) + " (expected: 1-8 bytes kept, with trailing zero bytes, at most 8)");
                }
                long x = 0;
                for (int k = 0; k < kept; k++) {
                  x = (x << 8) | (b.get() & 0xff);
                }
                bits ^= x << (tz << 3);
              }
              v.sample(id, ts, Double.longBitsToDouble(bits));
            }
          }
          case RecordEncoder.EXEMPLARS -> {
            long n = varint(b);
            for (long i = 0; i < n; i++) {
              long id = varint(b);
              long ts = unzigzag(varint(b));
              double value = Double.longBitsToDouble(b.getLong());
              v.exemplar(id, new Exemplar(labels(b), value, ts));
            }
          }
          case RecordEncoder.METADATA -> {
            long n = varint(b);
            for (long i = 0; i < n; i++) {
              String tenant = string(b);
              String family = string(b);
              MetricMetadata.Type t = MetricMetadata.Type.fromText(string(b));
              String help = string(b);
              String unit = string(b);
              v.metadata(tenant, new MetricMetadata(family, t, help, unit));
            }
          }
          case RecordEncoder.CHUNK -> {
            long n = varint(b);
            for (long i = 0; i < n; i++) {
              long id = varint(b);
              int clen = (int) varint(b);
              if (clen < 0 || clen > b.remaining()) {
                throw new IllegalArgumentException("chunk length " + clen + " (expected: <= " + b.remaining() + ")");
              }
              byte[] c = new byte[clen];
              b.get(c);
              v.chunk(id, c);
            }
          }
          case RecordEncoder.NEXT_ID -> {
            long n = varint(b);
            for (long i = 0; i < n; i++) {
              v.nextSeriesId(varint(b));
            }
          }
          default -> v.unknown(type, len);
        }
        if (b.position() != end) {
          throw new IllegalArgumentException(
              "entry of type " + type + " ends at " + b.position() + " (expected: " + end + ")");
        }
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("batch cut short at " + b.position(), e);
    }
  }

  static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  private static long varint(ByteBuffer b) {
    long r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte x = b.get();
      r |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return r;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes at " + b.position());
  }

  private static String string(ByteBuffer b) {
    int n = (int) varint(b);
    if (n < 0 || n > b.remaining()) {
      throw new IllegalArgumentException("string length " + n + " (expected: <= " + b.remaining() + ")");
    }
    String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }

  private static Labels labels(ByteBuffer b) {
    int n = (int) varint(b);
    String[] kv = new String[2 * n];
    for (int i = 0; i < 2 * n; i++) {
      kv[i] = string(b);
    }
    return Labels.of(kv);
  }
}
