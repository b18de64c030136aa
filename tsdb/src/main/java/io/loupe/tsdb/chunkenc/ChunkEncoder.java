package io.loupe.tsdb.chunkenc;

/**
 * Encodes block chunks: each chunk as a decimal chunk when its values are decimals, else (or when XOR comes out
 * smaller) as an XOR chunk. Every decimal chunk is decoded and compared with its input before it is returned, so an
 * encoder bug can cost bytes, never samples. Reusable and not thread-safe.
 */
public final class ChunkEncoder {
  private final DecimalEncoder decimal = new DecimalEncoder();
  private final DecimalIterator check = new DecimalIterator();

  /** Encodes {@code n} samples from {@code from} (timestamps strictly increasing, values as raw bits). */
  public byte[] encode(long[] ts, long[] valueBits, int from, int n) {
    byte[] d = decimal.encode(ts, valueBits, from, n);
    if (d != null && !decodesTo(d, ts, valueBits, from, n)) {
      d = null;
    }
    // XOR needs at least 2 bits per sample after the first: a decimal chunk below that is the smaller one
    if (d != null && 8L * d.length <= 2L * n + 8 * 19) {
      return d;
    }
    XorChunk x = new XorChunk();
    for (int i = from; i < from + n; i++) {
      x.append(ts[i], Double.longBitsToDouble(valueBits[i]));
    }
    byte[] xb = x.freeze().bytes();
    if (d == null || xb.length < d.length) {
      return xb;
    }
    // Residual chunks of values far from any decimal (random gauges end up at scale 13 or so) are a few % smaller than
    // XOR but decode slower (ChunkBenchmark gauge: 26 vs 35 M samples/s): keep them only when they save 10 %.
    boolean residuals = (d[4] & 0x80) != 0;
    return residuals && 10L * d.length > 9L * xb.length ? xb : d;
  }

  private boolean decodesTo(byte[] chunk, long[] ts, long[] vb, int from, int n) {
    DecimalIterator it = check.reset(chunk);
    for (int i = from; i < from + n; i++) {
      if (!it.next() || it.timestamp() != ts[i] || it.valueBits() != vb[i]) {
        return false;
      }
    }
    return !it.next();
  }
}
