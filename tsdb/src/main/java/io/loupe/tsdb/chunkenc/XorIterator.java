package io.loupe.tsdb.chunkenc;

import io.loupe.model.SampleIterator;

/**
 * Decodes an {@link XorChunk}'s bytes. Reusable through {@link #reset}; allocates nothing per sample.
 */
public final class XorIterator implements SampleIterator {
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
      long dod;
      if (readBit() == 0) {
        dod = 0;
      } else if (readBit() == 0) {
        dod = signed(readBits(14), 14);
      } else if (readBit() == 0) {
        dod = signed(readBits(17), 17);
      } else if (readBit() == 0) {
        dod = signed(readBits(20), 20);
      } else {
        dod = readBits(64);
      }
      delta += dod;
      t += delta;
      if (readBit() != 0) {
        if (readBit() != 0) {
          leading = (int) readBits(5);
          int sig = (int) readBits(6);
          if (sig == 0) {
            sig = 64;
          }
          trailing = 64 - leading - sig;
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

  private static long signed(long v, int bits) {
    return (v << (64 - bits)) >> (64 - bits);
  }

  private int readBit() {
    int b = (buf[pos >>> 3] >>> (7 - (pos & 7))) & 1;
    pos++;
    return b;
  }

  private long readBits(int n) {
    long r = 0;
    while (n > 0) {
      int avail = 8 - (pos & 7);
      int take = Math.min(avail, n);
      int b = ((buf[pos >>> 3] & 0xff) >>> (avail - take)) & ((1 << take) - 1);
      r = (r << take) | b;
      n -= take;
      pos += take;
    }
    return r;
  }
}
