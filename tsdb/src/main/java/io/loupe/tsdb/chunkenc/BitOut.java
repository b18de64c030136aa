package io.loupe.tsdb.chunkenc;

import java.util.Arrays;

/** A growable most-significant-bit-first bit writer; reusable through {@link #reset}. Not thread-safe. */
final class BitOut {
  private byte[] buf = new byte[256];
  private int bytes; // whole bytes written
  private long acc; // pending bits, the newest in the low bits
  private int accBits;

  void reset() {
    bytes = 0;
    acc = 0;
    accBits = 0;
  }

  /** Bits written so far. */
  long bitLength() {
    return 8L * bytes + accBits;
  }

  /** Writes the low {@code n} (0 to 64) bits of {@code v}. */
  void writeBits(long v, int n) {
    if (n > 32) {
      write32(v >>> 32, n - 32);
      write32(v, 32);
    } else if (n > 0) {
      write32(v, n);
    }
  }

  private void write32(long v, int n) {
    acc = (acc << n) | (v & (-1L >>> (64 - n)));
    accBits += n;
    if (accBits >= 8) {
      if (bytes + 8 > buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      while (accBits >= 8) {
        accBits -= 8;
        buf[bytes++] = (byte) (acc >>> accBits);
      }
    }
  }

  void writeByte(int b) {
    writeBits(b, 8);
  }

  void writeUvarint(long v) {
    while ((v & ~0x7fL) != 0) {
      writeByte((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    writeByte((int) v);
  }

  void writeVarint(long v) {
    writeUvarint((v << 1) ^ (v >> 63));
  }

  /** The bytes written, the last one padded with zero bits. */
  byte[] toByteArray() {
    byte[] out = Arrays.copyOf(buf, bytes + (accBits > 0 ? 1 : 0));
    if (accBits > 0) {
      out[bytes] = (byte) (acc << (8 - accBits));
    }
    return out;
  }
}
