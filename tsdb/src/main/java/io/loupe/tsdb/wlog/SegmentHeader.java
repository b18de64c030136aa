package io.loupe.tsdb.wlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The header every WAL segment starts with: magic {@code "LOUP"}, the format name {@code "wal"} (u8 length + ASCII),
 * the format version (u16). Big-endian. See docs/format/wal.md. Versions 1 and 2 are read; 2 is written.
 */
final class SegmentHeader {
  static final int MAGIC = 0x4C4F5550; // "LOUP"
  static final String FORMAT = "wal";
  /** Written by this version: 2 adds compact sample entries (type 7) to the record types of version 1. */
  static final int VERSION = 2;
  /** The oldest version read: version-1 segments hold only entry types that version 2 still decodes. */
  static final int MIN_VERSION = 1;
  static final int LENGTH = 4 + 1 + FORMAT.length() + 2;

  private SegmentHeader() {}

  static ByteBuffer encode() {
    ByteBuffer b = ByteBuffer.allocate(LENGTH);
    b.putInt(MAGIC).put((byte) FORMAT.length()).put(FORMAT.getBytes(StandardCharsets.US_ASCII)).putShort((short) VERSION);
    return b.flip();
  }

  /** Checks magic, format name and version, in that order, naming the file and offset of the first mismatch. */
  static void check(Path file, ByteBuffer b) throws CorruptFileException {
    int magic = b.getInt(0);
    if (magic != MAGIC) {
      throw new CorruptFileException(file, 0, String.format("magic 0x%08x (expected: 0x%08x)", magic, MAGIC));
    }
    int len = b.get(4) & 0xff;
    byte[] name = new byte[Math.min(len, b.limit() - 5)];
    b.get(5, name);
    String format = new String(name, StandardCharsets.US_ASCII);
    if (len != FORMAT.length() || !format.equals(FORMAT)) {
      throw new CorruptFileException(file, 4, "format '" + format + "' (expected: '" + FORMAT + "')");
    }
    int version = b.getShort(5 + len) & 0xffff;
    if (version < MIN_VERSION || version > VERSION) {
      throw new CorruptFileException(file, 5 + len,
          "version " + version + " (expected: " + MIN_VERSION + " to " + VERSION + ")");
    }
  }
}
