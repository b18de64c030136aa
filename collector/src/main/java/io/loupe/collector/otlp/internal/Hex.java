package io.loupe.collector.otlp.internal;

import com.google.protobuf.ByteString;

/** Lowercase hex for trace and span ids. */
public final class Hex {
  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  private Hex() {}

  public static String encode(ByteString bytes) {
    int n = bytes.size();
    char[] out = new char[2 * n];
    for (int i = 0; i < n; i++) {
      int b = bytes.byteAt(i) & 0xff;
      out[2 * i] = DIGITS[b >>> 4];
      out[2 * i + 1] = DIGITS[b & 0xf];
    }
    return new String(out);
  }

  /** True when every byte is zero (an invalid id in OTLP). */
  public static boolean allZero(ByteString bytes) {
    for (int i = 0; i < bytes.size(); i++) {
      if (bytes.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }

  /** The value of one hex digit (either case), or -1. */
  public static int digit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
