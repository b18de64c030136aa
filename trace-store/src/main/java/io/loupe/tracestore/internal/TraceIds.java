package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;

/** Hex ids to raw bytes and back, and the shard hash of a trace id. */
public final class TraceIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Value of each ASCII hex digit (lowercase only, as {@code SpanRecord} requires), -1 for anything else. */
  static final byte[] NIBBLE = new byte[128];

  static {
    java.util.Arrays.fill(NIBBLE, (byte) -1);
    for (int i = 0; i < 16; i++) {
      NIBBLE[HEX[i]] = (byte) i;
    }
  }

  private TraceIds() {}

  /**
   * The 16 hex digits of {@code hex} from {@code off} as a big-endian long, without the byte[] {@link #fromHex} makes:
   * every trace id is parsed on the write path (the shard hash, the trace index), and a byte[] per id with a branch
   * per digit was 4 % of a node profile.
   *
   * @throws InvalidInputException if a digit is not lowercase hex or the string is too short
   */
  public static long parseHex64(String hex, int off, String field) {
    if (hex.length() < off + 16) {
      throw new InvalidInputException(field + ": '" + hex + "' has " + hex.length() + " hex digits (expected: "
          + (off + 16) + ")");
    }
    long v = 0;
    int bad = 0;
    for (int i = off; i < off + 16; i++) {
      char c = hex.charAt(i);
      int d = c < 128 ? NIBBLE[c] : -1;
      bad |= d; // negative once any digit is not hex
      v = (v << 4) | (d & 0xF);
    }
    if (bad < 0) {
      throw new InvalidInputException(field + ": '" + hex + "' (expected: lowercase hex)");
    }
    return v;
  }

  /** The high half of a 32-digit hex trace id; checks its length. */
  public static long highOfHex(String hex, String field) {
    if (hex.length() != 32) {
      throw new InvalidInputException(
          field + ": '" + hex + "' has " + hex.length() + " hex digits (expected: 32)");
    }
    return parseHex64(hex, 0, field);
  }

  /** Writes {@code hi} and {@code lo} big-endian into a new 16-byte id. */
  public static byte[] toBytes(long hi, long lo) {
    byte[] b = new byte[16];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (hi >>> (56 - 8 * i));
      b[8 + i] = (byte) (lo >>> (56 - 8 * i));
    }
    return b;
  }

  public static byte[] fromHex(String hex, int bytes, String field) {
    if (hex.length() != bytes * 2) {
      throw new InvalidInputException(
          field + ": '" + hex + "' has " + hex.length() + " hex digits (expected: " + bytes * 2 + ")");
    }
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      int hi = digit(hex.charAt(2 * i), hex, field);
      int lo = digit(hex.charAt(2 * i + 1), hex, field);
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }

  private static int digit(char c, String hex, String field) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    throw new InvalidInputException(field + ": '" + hex + "' (expected: lowercase hex)");
  }

  public static String toHex(byte[] b, int off, int len) {
    // Latin-1 bytes, not chars: the String keeps one byte per digit anyway, and decoding candidate spans for a
    // search makes millions of these ids (a char[] each was the largest allocation of a { } && { } search).
    byte[] c = new byte[len * 2];
    for (int i = 0; i < len; i++) {
      int v = b[off + i] & 0xFF;
      c[2 * i] = (byte) HEX[v >>> 4];
      c[2 * i + 1] = (byte) HEX[v & 0xF];
    }
    return new String(c, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  public static String toHex(byte[] b) {
    return toHex(b, 0, b.length);
  }

  public static long high(byte[] id16) {
    return readLong(id16, 0);
  }

  public static long low(byte[] id16) {
    return readLong(id16, 8);
  }

  static long readLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  /**
   * The shard of a trace: a murmur3 finalizer over both halves, stable across processes and releases because it
   * decides which shard directory holds a trace on disk.
   */
  public static int shardOf(long hi, long lo, int shards) {
    long h = hi * 31 + lo;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) Long.remainderUnsigned(h, shards);
  }

  /** A 32-bit FNV-1a hash of a tenant id, stored in index entries so lookups skip other tenants' records. */
  public static int tenantHash(String tenant) {
    int h = 0x811c9dc5;
    for (int i = 0; i < tenant.length(); i++) {
      h ^= tenant.charAt(i); // tenant ids are ASCII (Tenant validates), so chars are bytes
      h *= 0x01000193;
    }
    return h;
  }
}
