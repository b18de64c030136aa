package io.loupe.tracestore.internal;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link ByteSink} wrote. Every read checks bounds and throws {@link IllegalStateException} with the
 * position, which callers turn into a corruption error naming the file.
 */
public final class ByteSource {
  private final byte[] buf;
  private int pos;
  private final int end;

  public ByteSource(byte[] buf, int off, int len) {
    this.buf = buf;
    this.pos = off;
    this.end = off + len;
  }

  public ByteSource(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public int position() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  public void skip(int n) {
    need(n);
    pos += n;
  }

  private void need(int n) {
    if (n < 0 || end - pos < n) {
      throw new IllegalStateException("truncated data: need " + n + " bytes at " + pos + ", have " + (end - pos));
    }
  }

  public int readByte() {
    need(1);
    return buf[pos++] & 0xFF;
  }

  public void readBytes(byte[] dst) {
    need(dst.length);
    System.arraycopy(buf, pos, dst, 0, dst.length);
    pos += dst.length;
  }

  public byte[] readBytes(int n) {
    byte[] b = new byte[checkLength(n)];
    readBytes(b);
    return b;
  }

  public int readInt() {
    need(4);
    int v = ((buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
        | (buf[pos + 3] & 0xFF);
    pos += 4;
    return v;
  }

  public long readLong() {
    return ((long) readInt() << 32) | (readInt() & 0xFFFFFFFFL);
  }

  public long readVarLong() {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalStateException("varint longer than 10 bytes at " + pos);
  }

  public int readVarInt() {
    long v = readVarLong();
    if (v < 0 || v > 0xFFFFFFFFL) {
      throw new IllegalStateException("varint " + v + " out of int range at " + pos);
    }
    return (int) v;
  }

  /** A non-negative count or length that must fit in what is left. */
  public int readLength() {
    return checkLength(readVarInt());
  }

  private int checkLength(int n) {
    if (n < 0 || n > remaining()) {
      throw new IllegalStateException("length " + n + " at " + pos + " exceeds the " + remaining() + " bytes left");
    }
    return n;
  }

  public long readZigZag() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  public String readString() {
    int n = readLength();
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }
}
