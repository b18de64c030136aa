package io.loupe.tsdb.block;

import io.loupe.tsdb.wlog.CorruptFileException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** File names and the common header of block files: magic "LOUP", u8 name length, format name, u16 version. */
final class BlockFiles {
  static final String META = "meta";
  static final String INDEX = "index";
  static final String CHUNKS = "chunks";
  static final int MAGIC = 0x4C4F5550; // "LOUP"
  static final int VERSION = 1;

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

  static void checkHeader(Path file, DataInputStream in, String format) throws IOException {
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
    if (version != VERSION) {
      throw new CorruptFileException(file, 5 + len, "version " + version + " (expected: " + VERSION + ")");
    }
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
