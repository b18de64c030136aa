package io.loupe.tracestore.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable big-endian byte buffer with LEB128 varints, for encoding records. Not thread-safe. */
public final class ByteSink {
  private byte[] buf;
  private int len;

  public ByteSink(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  public int length() {
    return len;
  }

  public byte[] array() {
    return buf;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  public void reset() {
    len = 0;
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  public void writeByte(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  public void writeBytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
  }

  public void writeBytes(byte[] b) {
    writeBytes(b, 0, b.length);
  }

  public void writeInt(int v) {
    ensure(4);
    buf[len++] = (byte) (v >>> 24);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
  }

  public void writeLong(long v) {
    writeInt((int) (v >>> 32));
    writeInt((int) v);
  }

  public void writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  public void writeVarInt(int v) {
    writeVarLong(v & 0xFFFFFFFFL);
  }

  public void writeZigZag(long v) {
    writeVarLong((v << 1) ^ (v >> 63));
  }

  public void writeString(String s) {
    int n = s.length();
    if (n < 128) {
      // ASCII, the usual case, is written straight from the string: getBytes(UTF_8) made a byte[] per dictionary
      // string per record. A string with any other char (its UTF-8 length differs) takes the general path.
      ensure(1 + n);
      int start = len + 1;
      int bad = 0;
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        bad |= c;
        buf[start + i] = (byte) c;
      }
      if (bad < 0x80) {
        buf[len] = (byte) n;
        len = start + n;
        return;
      }
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarInt(b.length);
    writeBytes(b);
  }

  /**
   * Writes the {@code bytes} bytes that the {@code 2 * bytes} lowercase hex digits of {@code hex} spell, with no
   * intermediate array (span ids were a byte[] each, 4 % of a node profile).
   *
   * @throws io.loupe.model.InvalidInputException if {@code hex} is not {@code 2 * bytes} lowercase hex digits
   */
  public void writeHex(String hex, int bytes, String field) {
    if (hex.length() != bytes * 2) {
      throw new io.loupe.model.InvalidInputException(
          field + ": '" + hex + "' has " + hex.length() + " hex digits (expected: " + bytes * 2 + ")");
    }
    ensure(bytes);
    int bad = 0;
    for (int i = 0; i < bytes; i++) {
      char h = hex.charAt(2 * i);
      char l = hex.charAt(2 * i + 1);
      int hv = h < 128 ? TraceIds.NIBBLE[h] : -1;
      int lv = l < 128 ? TraceIds.NIBBLE[l] : -1;
      bad |= hv | lv;
      buf[len + i] = (byte) ((hv << 4) | (lv & 0xF));
    }
    if (bad < 0) {
      throw new io.loupe.model.InvalidInputException(field + ": '" + hex + "' (expected: lowercase hex)");
    }
    len += bytes;
  }

  /** Makes room for {@code n} more bytes and returns the position they start at; the caller fills them. */
  public int skip(int n) {
    ensure(n);
    int at = len;
    len += n;
    return at;
  }

  /** Cuts the content back to {@code n} bytes. */
  public void truncate(int n) {
    if (n < 0 || n > len) {
      throw new IllegalArgumentException("length: " + n + " (expected: 0 to " + len + ")");
    }
    len = n;
  }

  /** Makes room for {@code n} more bytes without writing them (for writing into {@link #array()} directly). */
  public void reserve(int n) {
    ensure(n);
  }

  /** Capacity of the buffer (to release a buffer that one huge record grew). */
  public int capacity() {
    return buf.length;
  }

  /** Overwrites 4 bytes at {@code pos}. */
  public void setInt(int pos, int v) {
    buf[pos] = (byte) (v >>> 24);
    buf[pos + 1] = (byte) (v >>> 16);
    buf[pos + 2] = (byte) (v >>> 8);
    buf[pos + 3] = (byte) v;
  }
}
