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
  private int tsMode;
  private int valMode;
  private long t0;
  private long m0;
  private long r0;
  private long tsP;
  private long tsG;
  private long valP;
  private long valG;
  private long t;
  private long m;
  private int scale;
  private boolean residuals;
  private int resMode;
  private long resP;
  private long resG;
  private long r;
  private final long[] dodDelta = new long[3]; // running deltas of timestamps, mantissas, residuals
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
    int flags = (int) readBits(16);
    tsMode = flags & 3;
    valMode = (flags >>> 2) & 3;
    resMode = (flags >>> 4) & 3;
    scale = (flags >>> 8) & 15;
    if (tsMode > DecimalEncoder.GRID || valMode > DecimalEncoder.GRID || resMode > DecimalEncoder.GRID
        || scale > DecimalEncoder.MAX_SCALE) {
      throw new IllegalArgumentException(String.format("chunk flags 0x%04x (expected: modes 0 to 2, scale 0 to 15)",
          flags));
    }
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
    residuals = (flags & 0x80) != 0;
    r = 0;
    if (residuals) {
      r = readVarint();
      if (n >= 2) {
        resP = readVarint();
        resG = readUvarint();
      }
      dodDelta[2] = resP;
    }
    dodDelta[0] = tsP;
    dodDelta[1] = valP;
    t0 = t;
    m0 = m;
    r0 = r;
    if ((flags & 0x40) != 0) {
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
    vb[0] = Double.doubleToRawLongBits(m / DecimalEncoder.POW10[scale]) + r;
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
    long[] vb = this.vb;
    boolean zero = unpack(k);
    t = sequence(tsMode, zero, k, t, tsP, tsG, t0, ts, 0);
    zero = unpack(k);
    m = sequence(valMode, zero, k, m, valP, valG, m0, it, 1);
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
    if (residuals) {
      zero = unpack(k);
      r = sequence(resMode, zero, k, r, resP, resG, r0, it, 2);
      for (int j = 0; j < k; j++) {
        vb[j] += it[j];
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

  /**
   * Turns the group's zigzag items (all 0 when {@code zero}, without reading them) back into the values of one
   * sequence, written to {@code out} (which may be the items array itself), starting after the last value {@code x};
   * returns the group's last value. One loop per case, so none tests a mode per item.
   */
  private long sequence(int mode, boolean zero, int k, long x, long p, long g, long x0, long[] out, int which) {
    long[] it = items;
    if (mode == DecimalEncoder.DELTA) {
      if (zero) {
        for (int j = 0; j < k; j++) {
          x += p;
          out[j] = x;
        }
      } else {
        for (int j = 0; j < k; j++) {
          long z = it[j];
          x += p + ((z >>> 1) ^ -(z & 1)) * g;
          out[j] = x;
        }
      }
      return x;
    }
    if (mode == DecimalEncoder.DOD) {
      long d = dodDelta[which];
      if (zero) {
        for (int j = 0; j < k; j++) {
          x += d;
          out[j] = x;
        }
      } else {
        for (int j = 0; j < k; j++) {
          long z = it[j];
          d += ((z >>> 1) ^ -(z & 1)) * g;
          x += d;
          out[j] = x;
        }
      }
      dodDelta[which] = d;
      return x;
    }
    long base = x0 + nextSample * p;
    if (zero) {
      for (int j = 0; j < k; j++) {
        out[j] = base + j * p;
      }
    } else {
      for (int j = 0; j < k; j++) {
        long z = it[j];
        out[j] = base + j * p + ((z >>> 1) ^ -(z & 1)) * g;
      }
    }
    return out[k - 1];
  }

  /** Reads a group's items into {@link #items}; returns true, leaving the array as it was, when all are 0. */
  private boolean unpack(int k) {
    long[] it = items;
    int h = (int) readSmall(8);
    int kind = h >>> 6;
    int w = (h & 63) + 1;
    switch (kind) {
      case DecimalEncoder.ZERO -> {
        return true;
      }
      case DecimalEncoder.DENSE -> {
        if (w <= 56) {
          byte[] b = buf;
          long pos = this.pos;
          int shift = 64 - w;
          for (int j = 0; j < k; j++) {
            int i = (int) (pos >>> 3);
            long word = i + 8 <= b.length ? (long) LONGS.get(b, i) : tail(i);
            it[j] = (word << (pos & 7)) >>> shift;
            pos += w;
          }
          this.pos = pos;
        } else {
          for (int j = 0; j < k; j++) {
            it[j] = readBits(w);
          }
        }
      }
      case DecimalEncoder.BITMAP -> {
        long bitmap = readBits(k);
        Arrays.fill(it, 0, k, 0);
        while (bitmap != 0) {
          it[Long.numberOfTrailingZeros(bitmap)] = readBits(w);
          bitmap &= bitmap - 1;
        }
      }
      default -> {
        int nz = (int) readSmall(6) + 1;
        Arrays.fill(it, 0, k, 0);
        for (int i = 0; i < nz; i++) {
          int j = (int) readSmall(6);
          if (j >= k) {
            throw new IllegalArgumentException("item position " + j + " (expected: < " + k + ")");
          }
          it[j] = readBits(w);
        }
      }
    }
    return false;
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
