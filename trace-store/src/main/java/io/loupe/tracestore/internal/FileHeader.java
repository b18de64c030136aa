package io.loupe.tracestore.internal;

import io.loupe.tracestore.CorruptFileException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The header every trace-store file starts with: 4 bytes magic {@code LOUP}, 1 byte name length, the format name in
 * ASCII, 2 bytes big-endian version.
 */
public final class FileHeader {
  public static final int MAGIC = 0x4C4F5550; // "LOUP"

  private FileHeader() {}

  public static byte[] encode(String format, int version) {
    byte[] name = format.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(length(format));
    b.putInt(MAGIC).put((byte) name.length).put(name).putShort((short) version);
    return b.array();
  }

  public static int length(String format) {
    return 4 + 1 + format.length() + 2;
  }

  /** Checks magic, name and version at the buffer's position (offset 0 of {@code file}) and advances past them. */
  public static void check(ByteBuffer b, Path file, String format, int version) throws CorruptFileException {
    check(b, file, format, version, version);
  }

  /**
   * As {@link #check(ByteBuffer, Path, String, int)} for a format whose readers read versions {@code minVersion} to
   * {@code maxVersion}; returns the file's version.
   */
  public static int check(ByteBuffer b, Path file, String format, int minVersion, int maxVersion)
      throws CorruptFileException {
    int start = b.position();
    if (b.remaining() < length(format)) {
      throw new CorruptFileException(file, 0,
          "file has " + b.remaining() + " bytes, too short for the " + format + " header");
    }
    int magic = b.getInt();
    if (magic != MAGIC) {
      throw new CorruptFileException(file, 0,
          String.format("magic 0x%08x (expected: 0x%08x, LOUP)", magic, MAGIC));
    }
    int n = b.get() & 0xFF;
    if (n != format.length() || b.remaining() < n + 2) {
      throw new CorruptFileException(file, 4, "format name of " + n + " bytes (expected: " + format + ")");
    }
    byte[] name = new byte[n];
    b.get(name);
    String got = new String(name, StandardCharsets.US_ASCII);
    if (!got.equals(format)) {
      throw new CorruptFileException(file, 5, "format '" + got + "' (expected: " + format + ")");
    }
    int v = b.getShort() & 0xFFFF;
    if (v < minVersion || v > maxVersion) {
      throw new CorruptFileException(file, 5 + n, "version " + v + " of " + format + " (expected: "
          + (minVersion == maxVersion ? String.valueOf(maxVersion) : minVersion + " to " + maxVersion) + ")");
    }
    assert b.position() - start == length(format);
    return v;
  }
}
