package io.loupe.query.trace.internal;

import io.loupe.model.InvalidInputException;

/** Trace ids as the trace APIs accept and print them. */
public final class TraceIds {
  private TraceIds() {}

  /**
   * The 32-lowercase-hex-digit form of {@code id}: case folded, shorter ids left-padded with zeros as Tempo and Jaeger
   * do (64-bit ids of older tracers). Throws {@link InvalidInputException} for anything else.
   */
  public static String normalize(String id) {
    if (id.isEmpty() || id.length() > 32) {
      throw new InvalidInputException(
          "trace id: '" + id + "' has " + id.length() + " hex digits (expected: 1 to 32)");
    }
    StringBuilder sb = new StringBuilder(32);
    for (int i = id.length(); i < 32; i++) {
      sb.append('0');
    }
    for (int i = 0; i < id.length(); i++) {
      char c = Character.toLowerCase(id.charAt(i));
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw new InvalidInputException("trace id: '" + id + "' (expected: hex digits)");
      }
      sb.append(c);
    }
    String s = sb.toString();
    if (s.equals("00000000000000000000000000000000")) {
      throw new InvalidInputException("trace id: '" + id + "' is all zeros (expected: a non-zero id)");
    }
    return s;
  }

  /** Jaeger's printing: 16 digits when the high half is zero, else 32 (model.TraceID.String). */
  public static String jaeger(String traceId32) {
    return traceId32.startsWith("0000000000000000") ? traceId32.substring(16) : traceId32;
  }

  /** The 16 or 8 bytes of a lowercase hex id. */
  public static byte[] bytes(String hex) {
    byte[] b = new byte[hex.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (Character.digit(hex.charAt(2 * i), 16) << 4 | Character.digit(hex.charAt(2 * i + 1), 16));
    }
    return b;
  }
}
