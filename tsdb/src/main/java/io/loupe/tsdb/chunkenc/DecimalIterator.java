package io.loupe.tsdb.chunkenc;

import io.loupe.model.SampleIterator;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Decodes a decimal chunk ({@link DecimalEncoder#ENCODING_DECIMAL}) a group of {@value DecimalEncoder#GROUP} samples
 * at a time into two small arrays, so {@link #next} is an index increment and {@link #seek} a scan of decoded
 * timestamps. Reusable through {@link #reset}; allocates nothing per sample.
 */
public final class DecimalIterator implements SampleIterator {
  private static final int GROUP = DecimalEncoder.GROUP;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] buf;
  private long pos; // bit position
  private int n;
  private int nextSample; // first sample of the next group
  private int idx; // current sample within the decoded group
  private int len; // samples in the decoded group
  private final long[] ts = new long[GROUP];
  private final long[] vb = new long[GROUP];
  private final long[] items = new long[GROUP];
  private boolean tsDod;
  private boolean valDod;
  private long tsP;
  private long tsG;
  private long valP;
  private long valG;
  private long t;
  private long tsDelta;
  private long m;
  private long valDelta;
  private int scale;
  private int[] exPos = new int[4];
  private long[] exBits = new long[4];
  private int exCount;
  private int exNext;

  /** Starts over on {@code chunk} (the bytes of a decimal chunk, header included). */
  public DecimalIterator reset(byte[] chunk) {
    if (chunk.length < 3 || chunk[0] != DecimalEncoder.ENCODING_DECIMAL) {
      throw new IllegalArgumentException("chunk encoding: " + (chunk.length == 0 ? "none" : chunk[0])
          + " (expected: " + DecimalEncoder.ENCODING_DECIMAL + ")");
    }
    buf = chunk;
    n = ((chunk[1] & 0xff) << 8) | (chunk[2] & 0xff);
    pos = 24;
    exCount = 0;
    exNext = 0;
    idx = -1;
    nextSample = 0;
    len = 0;
    if (n == 0) {
      return this;
    }
    int flags = (int) readBits(8);
    tsDod = (flags & 1) != 0;
    valDod = (flags & 2) != 0;
    scale = (flags >>> 3) & 15;
    t = readVarint();
    if (n >= 2) {
      tsP = readVarint();
      tsG = readUvarint();
    }
    m = readVarint();
    if (n >= 2) {
      valP = readVarint();
      valG = readUvarint();
    }
    tsDelta = tsP;
    valDelta = valP;
    if ((flags & 4) != 0) {
      long c = readUvarint();
      if (c < 1 || c > n) {
        throw new IllegalArgumentException("exceptions: " + c + " (expected: 1 to " + n + ")");
      }
      exCount = (int) c;
      if (exPos.length < exCount) {
        exPos = new int[exCount];
        exBits = new long[exCount];
      }
      long p = 0;
      for (int k = 0; k < exCount; k++) {
        p += readUvarint();
        if (p >= n) {
          throw new IllegalArgumentException("exception at sample " + p + " (expected: < " + n + ")");
        }
        exPos[k] = (int) p;
        exBits[k] = readBits(64);
      }
    }
    ts[0] = t;
    vb[0] = Double.doubleToRawLongBits(m / DecimalEncoder.POW10[scale]);
    if (exCount > 0 && exPos[0] == 0) {
      vb[0] = exBits[0];
      exNext = 1;
    }
    len = 1;
    nextSample = 1;
    return this;
  }

  /** Samples in the chunk. */
  public int count() {
    return n;
  }

  @Override
  public boolean next() {
    if (++idx < len) {
      return true;
    }
    if (nextSample >= n) {
      idx = len;
      return false;
    }
    decodeGroup();
    return true;
  }

  @Override
  public boolean seek(long target) {
    if (idx >= 0 && idx < len && ts[idx] >= target) {
      return true;
    }
    int j = Math.max(idx, 0);
    while (true) {
      if (j < len && ts[len - 1] >= target) {
        while (ts[j] < target) {
          j++;
        }
        idx = j;
        return true;
      }
      if (nextSample >= n) {
        idx = len;
        return false;
      }
      decodeGroup();
      j = 0;
    }
  }

  @Override
  public long timestamp() {
    return ts[idx];
  }

  @Override
  public double value() {
    return Double.longBitsToDouble(vb[idx]);
  }

  /** The raw bits of the current value (stale markers and NaN payloads survive). */
  public long valueBits() {
    return vb[idx];
  }

  private void decodeGroup() {
    int k = Math.min(GROUP, n - nextSample);
    long[] it = items;
    long[] ts = this.ts;
    long[] vb = this.vb;
    unpack(k);
    long t = this.t;
    long g = tsG;
    if (tsDod) {
      long d = tsDelta;
      for (int j = 0; j < k; j++) {
        long z = it[j];
        d += ((z >>> 1) ^ -(z & 1)) * g;
        t += d;
        ts[j] = t;
      }
      tsDelta = d;
    } else {
      long p = tsP;
      for (int j = 0; j < k; j++) {
        long z = it[j];
        t += p + ((z >>> 1) ^ -(z & 1)) * g;
        ts[j] = t;
      }
    }
    this.t = t;
    unpack(k);
    long m = this.m;
    g = valG;
    if (valDod) {
      long d = valDelta;
      for (int j = 0; j < k; j++) {
        long z = it[j];
        d += ((z >>> 1) ^ -(z & 1)) * g;
        m += d;
        it[j] = m;
      }
      valDelta = d;
    } else {
      long p = valP;
      for (int j = 0; j < k; j++) {
        long z = it[j];
        m += p + ((z >>> 1) ^ -(z & 1)) * g;
        it[j] = m;
      }
    }
    this.m = m;
    if (scale == 0) {
      for (int j = 0; j < k; j++) {
        vb[j] = Double.doubleToRawLongBits((double) it[j]);
      }
    } else {
      double div = DecimalEncoder.POW10[scale];
      for (int j = 0; j < k; j++) {
        vb[j] = Double.doubleToRawLongBits(it[j] / div);
      }
    }
    int end = nextSample + k;
    while (exNext < exCount && exPos[exNext] < end) {
      int at = exPos[exNext++] - nextSample;
      if (at >= 0) {
        vb[at] = exBits[exNext - 1];
      }
    }
    nextSample = end;
    idx = 0;
    len = k;
  }

  private void unpack(int k) {
    long[] it = items;
    int h = (int) readBits(8);
    int w = h & 0x7f;
    if (w == 0) {
      Arrays.fill(it, 0, k, 0);
      return;
    }
    if (w > 64) {
      throw new IllegalArgumentException("group width " + w + " (expected: 0 to 64)");
    }
    if ((h & 0x80) == 0) {
      if (w <= 56) {
        for (int j = 0; j < k; j++) {
          it[j] = readSmall(w);
        }
      } else {
        for (int j = 0; j < k; j++) {
          it[j] = readBits(w);
        }
      }
      return;
    }
    long bitmap = readBits(k);
    Arrays.fill(it, 0, k, 0);
    while (bitmap != 0) {
      it[Long.numberOfTrailingZeros(bitmap)] = readBits(w);
      bitmap &= bitmap - 1;
    }
  }

  /** Reads 1 to 64 bits. */
  private long readBits(int w) {
    if (w > 56) {
      long hi = readSmall(w - 32);
      return (hi << 32) | readSmall(32);
    }
    return readSmall(w);
  }

  /** Reads 1 to 56 bits with one 8-byte load (the shift within the first byte is at most 7). */
  private long readSmall(int w) {
    int i = (int) (pos >>> 3);
    long word = i + 8 <= buf.length ? (long) LONGS.get(buf, i) : tail(i);
    long r = (word << (pos & 7)) >>> (64 - w);
    pos += w;
    return r;
  }

  private long tail(int i) {
    long word = 0;
    for (int k = 0; k < 8; k++) {
      word = (word << 8) | (i + k < buf.length ? buf[i + k] & 0xff : 0);
    }
    return word;
  }

  private long readUvarint() {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      long b = readSmall(8);
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  private long readVarint() {
    long z = readUvarint();
    return (z >>> 1) ^ -(z & 1);
  }
}
