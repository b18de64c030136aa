package io.loupe.collector.otlp;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.loupe.collector.otlp.internal.Hex;
import io.loupe.model.InvalidInputException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

/**
 * OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) to and from the protobuf messages.
 *
 * <p>Parsing accepts lowerCamelCase and the original snake_case keys, enums as integers or names, 64-bit integers as
 * strings or numbers, and ignores unknown fields. Trace and span ids ({@code traceId}, {@code spanId}, {@code
 * parentSpanId}) are hex strings, as the spec requires, not the base64 of the generic protobuf JSON mapping: a pre-pass
 * rewrites them to base64 before {@link JsonFormat} reads the document. Malformed input throws {@link
 * InvalidInputException} naming the position or the field.
 */
public final class OtlpJson {
  private static final Set<String> ID_KEYS =
      Set.of("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id");
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private OtlpJson() {}

  public static ExportMetricsServiceRequest parseMetrics(byte[] json) {
    ExportMetricsServiceRequest.Builder b = ExportMetricsServiceRequest.newBuilder();
    merge(json, b);
    return b.build();
  }

  public static ExportTraceServiceRequest parseTraces(byte[] json) {
    ExportTraceServiceRequest.Builder b = ExportTraceServiceRequest.newBuilder();
    merge(json, b);
    return b.build();
  }

  public static ExportLogsServiceRequest parseLogs(byte[] json) {
    ExportLogsServiceRequest.Builder b = ExportLogsServiceRequest.newBuilder();
    merge(json, b);
    return b.build();
  }

  /**
   * A message (typically an {@code Export*ServiceResponse} with its {@code partialSuccess}) as compact OTLP/JSON. Meant
   * for responses, which carry no ids: ids would print as base64.
   */
  public static String print(MessageOrBuilder message) {
    requireNonNull(message, "message");
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** {@link #print} as UTF-8 bytes. */
  public static byte[] printBytes(MessageOrBuilder message) {
    return print(message).getBytes(StandardCharsets.UTF_8);
  }

  private static void merge(byte[] json, Message.Builder builder) {
    requireNonNull(json, "json");
    String text = hexIdsToBase64(new String(json, StandardCharsets.UTF_8));
    if (text.isBlank()) {
      throw new InvalidInputException("request body: empty (expected: an OTLP/JSON object)");
    }
    try {
      PARSER.merge(text, builder);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidInputException("request body: malformed OTLP/JSON: " + cap(e.getMessage()), e);
    } catch (InvalidInputException e) {
      throw e;
    } catch (RuntimeException e) { // Gson's syntax errors, which carry line and column
      throw new InvalidInputException("request body: malformed OTLP/JSON: " + cap(e.getMessage()), e);
    }
  }

  /**
   * Rewrites the values of the id keys from hex to base64, leaving every other byte as it was. It only tokenises
   * strings (to know keys from values and to skip escapes); {@link JsonFormat} checks the rest of the syntax.
   */
  static String hexIdsToBase64(String s) {
    StringBuilder out = null;
    int copied = 0;
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c != '"') {
        i++;
        continue;
      }
      int keyStart = i + 1;
      int keyEnd = endOfString(s, keyStart);
      if (keyEnd < 0) {
        break; // unterminated: JsonFormat reports it
      }
      i = keyEnd + 1;
      int j = skipWhitespace(s, i);
      if (j >= n || s.charAt(j) != ':') {
        continue; // a value, not a key
      }
      String key = s.substring(keyStart, keyEnd);
      if (!ID_KEYS.contains(key)) {
        continue;
      }
      j = skipWhitespace(s, j + 1);
      if (j >= n || s.charAt(j) != '"') {
        continue; // null or a wrong type: JsonFormat reports it
      }
      int valueStart = j + 1;
      int valueEnd = endOfString(s, valueStart);
      if (valueEnd < 0) {
        break;
      }
      String hex = s.substring(valueStart, valueEnd);
      String base64 = hexToBase64(hex, key, valueStart);
      if (out == null) {
        out = new StringBuilder(n + 16);
      }
      out.append(s, copied, valueStart).append(base64);
      copied = valueEnd;
      i = valueEnd + 1;
    }
    if (out == null) {
      return s;
    }
    return out.append(s, copied, n).toString();
  }

  private static int endOfString(String s, int from) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i;
      }
    }
    return -1;
  }

  private static int skipWhitespace(String s, int i) {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        break;
      }
      i++;
    }
    return i;
  }

  private static String hexToBase64(String hex, String key, int offset) {
    if (hex.isEmpty()) {
      return hex;
    }
    if (hex.length() % 2 != 0) {
      throw new InvalidInputException("request body: " + key + " '" + abbreviate(hex) + "' at offset " + offset
          + " has an odd number of hex digits (expected: a hex string, 32 digits for a trace id, 16 for a span id)");
    }
    byte[] bytes = new byte[hex.length() / 2];
    for (int k = 0; k < bytes.length; k++) {
      int hi = Hex.digit(hex.charAt(2 * k));
      int lo = Hex.digit(hex.charAt(2 * k + 1));
      if (hi < 0 || lo < 0) {
        throw new InvalidInputException("request body: " + key + " '" + abbreviate(hex) + "' at offset "
            + offset + " is not hex (expected: OTLP/JSON encodes ids as hex strings, not base64)");
      }
      bytes[k] = (byte) (hi << 4 | lo);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  // Gson's messages carry the JSON path, which for a deeply nested body runs to kilobytes; the message goes back to the
  // client in the response, so keep its start (which has the line and column).
  private static String cap(String message) {
    if (message == null) {
      return "";
    }
    return message.length() > 300 ? message.substring(0, 300) + "..." : message;
  }

  private static String abbreviate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }
}
