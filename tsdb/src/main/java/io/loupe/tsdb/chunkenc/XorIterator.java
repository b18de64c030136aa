package io.loupe.tsdb.chunkenc;

import io.loupe.model.SampleIterator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes an {@link XorChunk}'s bytes. Reusable through {@link #reset}; allocates nothing per sample.
 */
public final class XorIterator implements SampleIterator {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private byte[] buf;
  private int pos;
  private int count;
  private int read;
  private long t;
  private long delta;
  private long valueBits;
  private int leading;
  private int trailing;

  /** Starts over on {@code chunk} (the bytes of an XOR chunk, header included). */
  public XorIterator reset(byte[] chunk) {
    if (chunk.length < XorChunk.HEADER_BYTES || chunk[0] != XorChunk.ENCODING_XOR) {
      throw new IllegalArgumentException("chunk encoding: " + (chunk.length == 0 ? "none" : chunk[0])
          + " (expected: " + XorChunk.ENCODING_XOR + ")");
    }
    this.buf = chunk;
    this.count = ((chunk[1] & 0xff) << 8) | (chunk[2] & 0xff);
    this.pos = XorChunk.HEADER_BYTES * 8;
    this.read = 0;
    return this;
  }

  /** Samples in the chunk. */
  public int count() {
    return count;
  }

  @Override
  public boolean next() {
    if (read >= count) {
      return false;
    }
    if (read == 0) {
      t = readBits(64);
      valueBits = readBits(64);
      delta = 0;
    } else {
      // One 8-byte load covers the timestamp's prefix and payload (at most 24 bits) and then the value's control
      // bits: decoding by bit was most of a range query's time (ChunkBenchmark).
      long w = peek();
      long dod;
      int ones = Long.numberOfLeadingZeros(~w);
      if (ones == 0) {
        dod = 0;
        pos += 1;
      } else if (ones == 1) {
        dod = (w << 2) >> 50;
        pos += 16;
      } else if (ones == 2) {
        dod = (w << 3) >> 47;
        pos += 20;
      } else if (ones == 3) {
        dod = (w << 4) >> 44;
        pos += 24;
      } else {
        pos += 4;
        dod = readBits(64);
      }
      delta += dod;
      t += delta;
      w = peek();
      if (w >= 0) { // 0: same value
        pos += 1;
      } else {
        if ((w << 1) < 0) { // 11: a new window
          leading = (int) ((w << 2) >>> 59);
          int sig = (int) ((w << 7) >>> 58);
          if (sig == 0) {
            sig = 64;
          }
          trailing = 64 - leading - sig;
          pos += 13;
        } else {
          pos += 2;
        }
        int sig = 64 - leading - trailing;
        valueBits ^= readBits(sig) << trailing;
      }
    }
    read++;
    return true;
  }

  @Override
  public boolean seek(long target) {
    if (read > 0 && t >= target) {
      return true;
    }
    while (next()) {
      if (t >= target) {
        return true;
      }
    }
    return false;
  }

  @Override
  public long timestamp() {
    return t;
  }

  @Override
  public double value() {
    return Double.longBitsToDouble(valueBits);
  }

  /** The raw bits of the current value (stale markers and NaN payloads survive). */
  public long valueBits() {
    return valueBits;
  }

  /** The next bits at the top of a long: at least 57 valid (the rest zero past the end of the chunk). */
  private long peek() {
    int i = pos >>> 3;
    long word;
    if (i + 8 <= buf.length) {
      word = (long) LONGS.get(buf, i);
    } else {
      word = 0;
      for (int k = 0; k < 8; k++) {
        word = (word << 8) | (i + k < buf.length ? buf[i + k] & 0xff : 0);
      }
    }
    return word << (pos & 7);
  }

  /** Reads 1 to 64 bits. */
  private long readBits(int n) {
    if (n > 57) {
      long hi = peek() >>> 32;
      pos += 32;
      long lo = peek() >>> (96 - n);
      pos += n - 32;
      return (hi << (n - 32)) | lo;
    }
    long r = peek() >>> (64 - n);
    pos += n;
    return r;
  }
}
