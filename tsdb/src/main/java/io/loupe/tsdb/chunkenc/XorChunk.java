package io.loupe.tsdb.chunkenc;

import java.util.Arrays;

/**
 * A Gorilla-style float chunk: delta-of-delta timestamps and XOR-compressed values in one bit stream.
 *
 * <p>Layout: byte 0 is the encoding ({@link #ENCODING_XOR}), bytes 1-2 the sample count (big-endian u16), then the bit
 * stream (docs/format/tsdb-chunk.md). The first sample is stored raw (64-bit timestamp, 64-bit value bits); each later
 * timestamp as a delta-of-delta in a prefix-coded bucket ({@code 0}, {@code 10}+14, {@code 110}+17, {@code 1110}+20,
 * {@code 1111}+64 bits); each later value as the XOR with the previous one ({@code 0}: same; {@code 10}: inside the
 * previous window of meaningful bits; {@code 11}+5 bits leading zeros+6 bits length+bits: new window).
 *
 * <p>Mutable while open (the head appends to it under its shard lock); {@link #freeze} trims it and makes it immutable.
 * Not thread-safe.
 */
public final class XorChunk {
  public static final byte ENCODING_XOR = 1;
  static final int HEADER_BYTES = 3;
  /** Samples per chunk before the head cuts a new one (Gorilla and Prometheus use ~120: 2 h at 60 s). */
  public static final int TARGET_SAMPLES = 120;
  public static final int MAX_SAMPLES = 0xffff;

  private byte[] buf;
  private int bitPos; // next bit to write, counted from the start of buf
  private int count;
  private long minT;
  private long maxT;
  private long prevDelta;
  private long prevValueBits;
  private int prevLeading = 0xff; // 0xff: no window yet
  private int prevTrailing;
  private boolean frozen;

  public XorChunk() {
    // ~120 samples of a regular series take 100-250 bytes: start at 64 and double, so a chunk is copied at most
    // twice while it fills (profiling showed the earlier 32-byte start with 1.5x growth at ~10% of append time).
    buf = new byte[64];
    buf[0] = ENCODING_XOR;
    bitPos = HEADER_BYTES * 8;
  }

  /**
   * A frozen chunk over encoded bytes (from a checkpoint or a block), which it keeps without copying.
   *
   * @throws IllegalArgumentException if the bytes are not a non-empty XOR chunk
   */
  public static XorChunk frozenOf(byte[] bytes) {
    XorIterator it = new XorIterator().reset(bytes);
    if (it.count() == 0) {
      throw new IllegalArgumentException("chunk has no samples");
    }
    XorChunk c = new XorChunk();
    it.next();
    c.minT = it.timestamp();
    long last = c.minT;
    while (it.next()) {
      last = it.timestamp();
    }
    c.maxT = last;
    c.count = it.count();
    c.buf = bytes;
    c.bitPos = bytes.length * 8;
    c.frozen = true;
    return c;
  }

  /** Rebuilds a chunk from samples in strictly increasing time order. */
  public static XorChunk of(long[] ts, double[] vs, int n) {
    XorChunk c = new XorChunk();
    for (int i = 0; i < n; i++) {
      c.append(ts[i], vs[i]);
    }
    return c;
  }

  public int count() {
    return count;
  }

  public long minT() {
    return minT;
  }

  public long maxT() {
    return maxT;
  }

  public boolean frozen() {
    return frozen;
  }

  /** Bytes used (header + bit stream, rounded up). */
  public int sizeBytes() {
    return (bitPos + 7) >>> 3;
  }

  /** Heap bytes held, for memory statistics. */
  public int retainedBytes() {
    return buf.length + 64;
  }

  /**
   * Appends a sample; {@code t} must be greater than {@link #maxT} (the head guarantees it, merging out-of-order
   * samples by rebuilding the chunk).
   */
  public void append(long t, double v) {
    if (frozen) {
      throw new IllegalStateException("chunk is frozen");
    }
    if (count >= MAX_SAMPLES) {
      throw new IllegalStateException("chunk has " + count + " samples (expected: < " + MAX_SAMPLES + ")");
    }
    long vb = Double.doubleToRawLongBits(v);
    if (count == 0) {
      writeBits(t, 64);
      writeBits(vb, 64);
      minT = t;
      prevDelta = 0;
    } else {
      if (t <= maxT) {
        throw new IllegalArgumentException("timestamp " + t + " (expected: > " + maxT + ")");
      }
      long delta = t - maxT;
      long dod = delta - prevDelta;
      if (dod == 0) {
        writeBit(0);
      } else if (fits(dod, 14)) {
        writeBits(0b10, 2);
        writeBits(dod, 14);
      } else if (fits(dod, 17)) {
        writeBits(0b110, 3);
        writeBits(dod, 17);
      } else if (fits(dod, 20)) {
        writeBits(0b1110, 4);
        writeBits(dod, 20);
      } else {
        writeBits(0b1111, 4);
        writeBits(dod, 64);
      }
      prevDelta = delta;
      long xor = vb ^ prevValueBits;
      if (xor == 0) {
        writeBit(0);
      } else {
        int leading = Math.min(Long.numberOfLeadingZeros(xor), 31);
        int trailing = Long.numberOfTrailingZeros(xor);
        if (prevLeading != 0xff && leading >= prevLeading && trailing >= prevTrailing) {
          writeBits(0b10, 2);
          writeBits(xor >>> prevTrailing, 64 - prevLeading - prevTrailing);
        } else {
          int sig = 64 - leading - trailing;
          writeBits(0b11, 2);
          writeBits(leading, 5);
          writeBits(sig & 63, 6); // 64 significant bits are written as 0
          writeBits(xor >>> trailing, sig);
          prevLeading = leading;
          prevTrailing = trailing;
        }
      }
    }
    prevValueBits = vb;
    maxT = t;
    count++;
    buf[1] = (byte) (count >>> 8);
    buf[2] = (byte) count;
  }

  /** Trims the buffer and forbids further appends; the bytes may then be shared with readers without copying. */
  public XorChunk freeze() {
    if (!frozen) {
      buf = Arrays.copyOf(buf, sizeBytes());
      frozen = true;
    }
    return this;
  }

  /**
   * The encoded bytes: the chunk's own array when frozen (callers must not modify it), else a copy, so a reader can
   * decode it while the head keeps appending.
   */
  public byte[] bytes() {
    return frozen ? buf : Arrays.copyOf(buf, sizeBytes());
  }

  /** A new iterator over this chunk's samples as of now. */
  public XorIterator iterator() {
    XorIterator it = new XorIterator();
    it.reset(bytes());
    return it;
  }

  private static boolean fits(long v, int bits) {
    long lim = 1L << (bits - 1);
    return v >= -lim && v < lim;
  }

  private void writeBit(int bit) {
    ensure(1);
    if (bit != 0) {
      buf[bitPos >>> 3] |= (byte) (0x80 >>> (bitPos & 7));
    }
    bitPos++;
  }

  private void writeBits(long v, int n) {
    ensure(n);
    while (n > 0) {
      int free = 8 - (bitPos & 7);
      int take = Math.min(free, n);
      int bits = (int) ((v >>> (n - take)) & ((1L << take) - 1));
      buf[bitPos >>> 3] |= (byte) (bits << (free - take));
      n -= take;
      bitPos += take;
    }
  }

  private void ensure(int bits) {
    int need = (bitPos + bits + 7) >>> 3;
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    }
  }
}
