package io.loupe.tsdb.chunkenc;

import io.loupe.model.SampleIterator;

/**
 * Iterates a chunk of any encoding ({@link XorChunk#ENCODING_XOR} from the head and version-1 blocks,
 * {@link DecimalEncoder#ENCODING_DECIMAL} or XOR in later blocks), chosen by its encoding byte at each
 * {@link #reset}. Reusable; allocates nothing per sample.
 */
public final class ChunkIterator implements SampleIterator {
  private final XorIterator xor = new XorIterator();
  private DecimalIterator dec; // made on the first decimal chunk: head-only queries never need it
  private boolean decimal;

  /** Starts over on {@code chunk}; throws IllegalArgumentException on an unknown encoding. */
  public ChunkIterator reset(byte[] chunk) {
    if (chunk.length > 0 && chunk[0] == DecimalEncoder.ENCODING_DECIMAL) {
      if (dec == null) {
        dec = new DecimalIterator();
      }
      dec.reset(chunk);
      decimal = true;
    } else {
      xor.reset(chunk);
      decimal = false;
    }
    return this;
  }

  /** Samples in a chunk of any encoding (bytes 1-2 of every encoding). */
  public static int count(byte[] chunk) {
    if (chunk.length < 3) {
      throw new IllegalArgumentException("chunk of " + chunk.length + " bytes (expected: >= 3)");
    }
    return ((chunk[1] & 0xff) << 8) | (chunk[2] & 0xff);
  }

  @Override
  public boolean next() {
    return decimal ? dec.next() : xor.next();
  }

  @Override
  public boolean seek(long t) {
    return decimal ? dec.seek(t) : xor.seek(t);
  }

  @Override
  public long timestamp() {
    return decimal ? dec.timestamp() : xor.timestamp();
  }

  @Override
  public double value() {
    return decimal ? dec.value() : xor.value();
  }

  /** The raw bits of the current value. */
  public long valueBits() {
    return decimal ? dec.valueBits() : xor.valueBits();
  }
}
