package io.loupe.query.api.internal;

import io.loupe.model.Labels;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes JSON as UTF-8 bytes straight into a buffer that is handed to an {@link OutputStream} when full: the shapes of
 * query answers (label sets, {@code [t,"v"]} points) without a generator's per-call state checks and without composing
 * text in a {@code char[]} that is then encoded again. Through Jackson, the char-to-UTF-8 copy alone was 14-23% of the
 * CPU of answering the side-by-side dashboard queries with large answers (JFR on a node, 200 runs each). Escapes
 * strings as Jackson's generator does by default, so answers are byte for byte what they were. Not thread-safe.
 */
public final class JsonOut {
  /** Room one point needs: brackets, comma, quotes and the two numbers. */
  static final int POINT_BYTES = ValueFormat.MAX_TIMESTAMP_CHARS + ValueFormat.MAX_VALUE_CHARS + 8;

  private static final int TS_SLOTS = 512;

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Per ASCII char: 0 written as is, -1 as {@code \}{@code u00XX}, else the char after a backslash. */
  private static final int[] ESCAPES = new int[128];

  static {
    for (int i = 0; i < 0x20; i++) {
      ESCAPES[i] = -1;
    }
    ESCAPES['"'] = '"';
    ESCAPES['\\'] = '\\';
    ESCAPES['\b'] = 'b';
    ESCAPES['\t'] = 't';
    ESCAPES['\f'] = 'f';
    ESCAPES['\n'] = 'n';
    ESCAPES['\r'] = 'r';
  }

  private final OutputStream out;
  private final byte[] buf;
  private int pos;

  // The digits of recently written timestamps, direct-mapped: every series of a range answer repeats the same step
  // times, so formatting each once per answer instead of once per point took writing the timestamps (10 digits of
  // seconds, 3 of millis) from ~14% of answering count by (instance) (up) over 192 series to a copy.
  private final long[] tsKeys = new long[TS_SLOTS];
  private final byte[] tsDigits = new byte[TS_SLOTS * ValueFormat.MAX_TIMESTAMP_CHARS];
  private final byte[] tsLengths = new byte[TS_SLOTS]; // 0: slot empty

  public JsonOut(OutputStream out, int bufferSize) {
    this.out = out;
    this.buf = new byte[Math.max(bufferSize, 2 * POINT_BYTES)];
  }

  /** Makes room for {@code n} more bytes ({@code n} at most half the buffer). */
  private void reserve(int n) throws IOException {
    if (buf.length - pos < n) {
      flushBuffer();
    }
  }

  private void flushBuffer() throws IOException {
    if (pos > 0) {
      out.write(buf, 0, pos);
      pos = 0;
    }
  }

  /** Hands what is buffered to the stream (does not flush or close the stream). */
  public void flush() throws IOException {
    flushBuffer();
  }

  /** One ASCII char, e.g. a bracket or a comma. */
  public JsonOut raw(char c) throws IOException {
    if (pos == buf.length) {
      flushBuffer();
    }
    buf[pos++] = (byte) c;
    return this;
  }

  /** ASCII text that needs no escaping (field names and punctuation of the fixed shapes). */
  public JsonOut raw(String ascii) throws IOException {
    int n = ascii.length();
    if (n > buf.length / 2) {
      for (int i = 0; i < n; i++) {
        raw(ascii.charAt(i));
      }
      return this;
    }
    reserve(n);
    for (int i = 0; i < n; i++) {
      buf[pos++] = (byte) ascii.charAt(i);
    }
    return this;
  }

  /** {@code s} as a quoted JSON string, escaped as Jackson does by default, UTF-8 encoded. */
  public JsonOut string(String s) throws IOException {
    raw('"');
    int n = s.length();
    int i = 0;
    while (i < n) {
      // ASCII that needs no escape, as many as fit, without a check per byte for room
      reserve(6);
      int room = buf.length - pos;
      int end = Math.min(n, i + room);
      byte[] b = buf;
      int p = pos;
      while (i < end) {
        char c = s.charAt(i);
        if (c >= 0x80 || ESCAPES[c] != 0) {
          break;
        }
        b[p++] = (byte) c;
        i++;
      }
      pos = p;
      if (i == n) {
        break;
      }
      char c = s.charAt(i);
      if (c < 0x80) {
        if (i == end) {
          continue; // the buffer filled, c was not looked at yet
        }
        int e = ESCAPES[c];
        if (e != 0) {
          reserve(6);
          buf[pos++] = '\\';
          if (e > 0) {
            buf[pos++] = (byte) e;
          } else {
            buf[pos++] = 'u';
            buf[pos++] = '0';
            buf[pos++] = '0';
            buf[pos++] = HEX[c >> 4];
            buf[pos++] = HEX[c & 0xf];
          }
          i++;
          continue;
        }
      }
      if (c >= 0x80) {
        reserve(4);
        if (c < 0x800) {
          buf[pos++] = (byte) (0xc0 | (c >> 6));
          buf[pos++] = (byte) (0x80 | (c & 0x3f));
        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(i + 1));
          buf[pos++] = (byte) (0xf0 | (cp >> 18));
          buf[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
          buf[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
          buf[pos++] = (byte) (0x80 | (cp & 0x3f));
          i++;
        } else if (Character.isSurrogate(c)) {
          buf[pos++] = '?'; // an unpaired surrogate has no UTF-8 form; String.getBytes writes '?' too
        } else {
          buf[pos++] = (byte) (0xe0 | (c >> 12));
          buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3f));
          buf[pos++] = (byte) (0x80 | (c & 0x3f));
        }
        i++;
      }
    }
    return raw('"');
  }

  /** A label set as an object, in label order: {@code {"a":"1","b":"2"}}. */
  public JsonOut labels(Labels labels) throws IOException {
    raw('{');
    for (int i = 0; i < labels.size(); i++) {
      if (i > 0) {
        raw(',');
      }
      string(labels.name(i));
      raw(':');
      string(labels.value(i));
    }
    return raw('}');
  }

  /** {@code [<seconds>,"<value>"]} as Prometheus writes a point. */
  public JsonOut point(long timestampMs, double value) throws IOException {
    reserve(POINT_BYTES);
    byte[] b = buf;
    int p = pos;
    b[p++] = '[';
    p = appendCachedTimestamp(b, p, timestampMs);
    b[p++] = ',';
    b[p++] = '"';
    p = ValueFormat.appendValue(b, p, value);
    b[p++] = '"';
    b[p++] = ']';
    pos = p;
    return this;
  }

  private int appendCachedTimestamp(byte[] b, int p, long ts) {
    int slot = (int) ((ts * 0x9E3779B97F4A7C15L) >>> 55); // Fibonacci hashing: steps spread over the slots
    int len = tsLengths[slot];
    int from = slot * ValueFormat.MAX_TIMESTAMP_CHARS;
    if (len == 0 || tsKeys[slot] != ts) {
      len = ValueFormat.appendTimestamp(tsDigits, from, ts) - from;
      tsKeys[slot] = ts;
      tsLengths[slot] = (byte) len;
    }
    System.arraycopy(tsDigits, from, b, p, len);
    return p + len;
  }

  /** A timestamp as an unquoted number of seconds. */
  public JsonOut timestamp(long timestampMs) throws IOException {
    reserve(ValueFormat.MAX_TIMESTAMP_CHARS);
    pos = ValueFormat.appendTimestamp(buf, pos, timestampMs);
    return this;
  }
}
