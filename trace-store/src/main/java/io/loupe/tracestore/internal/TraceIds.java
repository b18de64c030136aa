package io.loupe.tracestore.internal;

import io.loupe.model.InvalidInputException;

/** Hex ids to raw bytes and back, and the shard hash of a trace id. */
public final class TraceIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private TraceIds() {}

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
