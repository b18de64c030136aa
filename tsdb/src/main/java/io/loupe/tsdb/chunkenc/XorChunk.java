package io.loupe.tsdb.chunkenc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
  // Bits are written by OR-ing a big-endian long into the buffer at the current byte: one read and one write instead
  // of a loop over bytes (XOR append was ~9% of a node's remote-write commit in a JFR profile). The open buffer
  // therefore keeps 8 bytes of zeros past the last written bit.
  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final int SLACK = 8;

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
    this(64);
  }

  /**
   * An empty chunk whose buffer starts at {@code expectedBytes} (clamped to 32..4096): the head passes the size of the
   * series' previous chunk, so that a chunk usually fills without being copied (growing by doubling from 64 bytes was
   * ~7% of append time on a node-exporter-like workload, whose chunks take 250-800 bytes).
   */
  public XorChunk(int expectedBytes) {
    buf = new byte[Math.max(32, Math.min(expectedBytes, 4096))];
    buf[0] = ENCODING_XOR;
    bitPos = HEADER_BYTES * 8;
  }

  /** The buffer size to give the next chunk of a series whose last chunk is this one (see {@link #XorChunk(int)}). */
  public int nextChunkBytes() {
    // scaled to a full chunk (a chunk cut early by a range boundary holds fewer samples), plus what append() reserves
    int perFull = count == 0 ? 64 : (int) ((long) sizeBytes() * TARGET_SAMPLES / count);
    return perFull + perFull / 16 + 28 + SLACK;
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
    ensure(4 + 64 + 2 + 5 + 6 + 64); // the most one sample can take: timestamp, then value
    if (count == 0) {
      writeBits(t >>> 32, 32);
      writeBits(t, 32);
      writeBits(vb >>> 32, 32);
      writeBits(vb, 32);
      minT = t;
      prevDelta = 0;
    } else {
      if (t <= maxT) {
        throw new IllegalArgumentException("timestamp " + t + " (expected: > " + maxT + ")");
      }
      long delta = t - maxT;
      long dod = delta - prevDelta;
      // prefix and payload in one write: the bucket's prefix bits sit just above the payload bits
      if (dod == 0) {
        bitPos++; // a 0 bit: the buffer past bitPos is zero already
      } else if (fits(dod, 14)) {
        writeBits((0b10L << 14) | (dod & 0x3fff), 16);
      } else if (fits(dod, 17)) {
        writeBits((0b110L << 17) | (dod & 0x1ffff), 20);
      } else if (fits(dod, 20)) {
        writeBits((0b1110L << 20) | (dod & 0xfffff), 24);
      } else {
        writeBits(0b1111, 4);
        writeBits(dod >>> 32, 32);
        writeBits(dod, 32);
      }
      prevDelta = delta;
      long xor = vb ^ prevValueBits;
      if (xor == 0) {
        bitPos++;
      } else {
        int leading = Math.min(Long.numberOfLeadingZeros(xor), 31);
        int trailing = Long.numberOfTrailingZeros(xor);
        if (prevLeading != 0xff && leading >= prevLeading && trailing >= prevTrailing) {
          int sig = 64 - prevLeading - prevTrailing;
          long payload = xor >>> prevTrailing;
          if (sig <= 54) {
            writeBits((0b10L << sig) | payload, sig + 2);
          } else {
            writeBits(0b10, 2);
            writeLong(payload, sig);
          }
        } else {
          int sig = 64 - leading - trailing;
          // 11, 5 bits of leading zeros, 6 bits of length (64 significant bits are written as 0)
          writeBits((0b11L << 11) | ((long) leading << 6) | (sig & 63), 13);
          writeLong(xor >>> trailing, sig);
          prevLeading = leading;
          prevTrailing = trailing;
        }
      }
    }
    prevValueBits = vb;
    maxT = t;
    count++;
    // The count in bytes 1-2 is written when the bytes are handed out (bytes(), freeze()), not here: it sits on
    // another cache line than the bit being written, and touching it made up ~10% of an append (JFR, 10k series).
  }

  /** Trims the buffer and forbids further appends; the bytes may then be shared with readers without copying. */
  public XorChunk freeze() {
    if (!frozen) {
      buf = withCount(Arrays.copyOf(buf, sizeBytes()));
      frozen = true;
    }
    return this;
  }

  /**
   * The encoded bytes: the chunk's own array when frozen (callers must not modify it), else a copy, so a reader can
   * decode it while the head keeps appending.
   */
  public byte[] bytes() {
    return frozen ? buf : withCount(Arrays.copyOf(buf, sizeBytes()));
  }

  private byte[] withCount(byte[] b) {
    b[1] = (byte) (count >>> 8);
    b[2] = (byte) count;
    return b;
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

  /** Writes the low {@code n} bits of {@code v}, 1 <= n <= 56 (so that they fit a long after a partial byte). */
  private void writeBits(long v, int n) {
    int i = bitPos >>> 3;
    long cur = (long) LONG_BE.get(buf, i);
    LONG_BE.set(buf, i, cur | ((v << (64 - n)) >>> (bitPos & 7)));
    bitPos += n;
  }

  /** Writes the low {@code n} bits of {@code v}, 1 <= n <= 64. */
  private void writeLong(long v, int n) {
    if (n > 32) {
      writeBits(v >>> 32, n - 32);
      writeBits(v, 32);
    } else {
      writeBits(v, n);
    }
  }

  /** Room for {@code bits} more bits plus the slack that {@link #writeBits} reads and writes past them. */
  private void ensure(int bits) {
    int need = ((bitPos + bits + 7) >>> 3) + SLACK;
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    }
  }
}
