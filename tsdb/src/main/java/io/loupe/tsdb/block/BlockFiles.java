package io.loupe.tsdb.block;

import io.loupe.tsdb.wlog.CorruptFileException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * File names and the common header of block files: magic "LOUP", u8 name length, format name, u16 version. Version 2
 * (written now) has decimal chunks, a symbol table and varints in the index; version 1 is still read.
 */
final class BlockFiles {
  static final String META = "meta";
  static final String INDEX = "index";
  static final String CHUNKS = "chunks";
  static final int MAGIC = 0x4C4F5550; // "LOUP"
  static final int VERSION = 2;
  static final int MIN_VERSION = 1;

  private BlockFiles() {}

  static int headerLength(String format) {
    return 4 + 1 + format.length() + 2;
  }

  static void writeHeader(DataOutputStream out, String format) throws IOException {
    out.writeInt(MAGIC);
    out.writeByte(format.length());
    out.write(format.getBytes(StandardCharsets.US_ASCII));
    out.writeShort(VERSION);
  }

  /** Checks magic, name and version (1 to {@link #VERSION}); returns the version. */
  static int checkHeader(Path file, DataInputStream in, String format) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new CorruptFileException(file, 0, String.format("magic 0x%08x (expected: 0x%08x)", magic, MAGIC));
    }
    int len = in.readUnsignedByte();
    byte[] name = in.readNBytes(len);
    String got = new String(name, StandardCharsets.US_ASCII);
    if (!got.equals(format)) {
      throw new CorruptFileException(file, 4, "format '" + got + "' (expected: '" + format + "')");
    }
    int version = in.readUnsignedShort();
    if (version < MIN_VERSION || version > VERSION) {
      throw new CorruptFileException(file, 5 + len, "version " + version + " (expected: " + MIN_VERSION + " to "
          + VERSION + ")");
    }
    return version;
  }

  static int uvarintLength(long v) {
    return Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
  }

  static void writeUvarint(DataOutputStream out, long v) throws IOException {
    while ((v & ~0x7fL) != 0) {
      out.writeByte((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  static void writeVarint(DataOutputStream out, long v) throws IOException {
    writeUvarint(out, (v << 1) ^ (v >> 63));
  }

  static long readUvarint(DataInputStream in) throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.readUnsignedByte();
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IOException("varint longer than 10 bytes");
  }

  static long readVarint(DataInputStream in) throws IOException {
    long z = readUvarint(in);
    return (z >>> 1) ^ -(z & 1);
  }

  /** A uvarint that must fit in an int within {@code [0, max]}. */
  static int readCount(Path file, DataInputStream in, String what, int max) throws IOException {
    long v = readUvarint(in);
    if (v < 0 || v > max) {
      throw new CorruptFileException(file, -1, what + " " + v + " (expected: 0 to " + max + ")");
    }
    return (int) v;
  }

  static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  static String readString(Path file, DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > (1 << 20)) {
      throw new CorruptFileException(file, -1, "string length " + n + " (expected: 0 to 1 MiB)");
    }
    return new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }
}
