package io.loupe.query.trace.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.loupe.model.AttributeCondition;
import io.loupe.model.InvalidInputException;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.TraceQuery;
import io.loupe.query.api.internal.JsonResponses;
import io.loupe.query.api.internal.Params;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parameters of the Tempo and Jaeger search calls: numbers, times, tag lists, and tags mapped onto a query. */
public final class TraceSearchParams {
  private TraceSearchParams() {}

  /** Integer parameter {@code name} in {@code [min, max]}, {@code dflt} when absent. */
  public static int intParam(Params p, String name, int dflt, int min, int max) {
    String v = p.get(name);
    if (v.isEmpty()) {
      return dflt;
    }
    long n;
    try {
      n = Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(name + ": '" + v + "' (expected: an integer from " + min + " to " + max + ")");
    }
    if (n < min || n > max) {
      throw new InvalidInputException(name + ": " + n + " (expected: " + min + " to " + max + ")");
    }
    return (int) n;
  }

  /** A non-negative integer parameter (unix seconds, microseconds, milliseconds), bounded so that nanos fit a long. */
  public static long longParam(Params p, String name, long max) {
    String v = p.get(name).trim();
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(name + ": '" + v + "' (expected: a non-negative integer)");
    }
    if (n < 0 || n > max) {
      throw new InvalidInputException(name + ": " + n + " (expected: 0 to " + max + ")");
    }
    return n;
  }

  /** Unix seconds, as Tempo takes {@code start} and {@code end}. */
  public static long seconds(Params p, String name) {
    return longParam(p, name, Long.MAX_VALUE / 1_000_000_000L - 1);
  }

  /**
   * {@code key=value} pairs separated by spaces, values optionally in double quotes with backslash escapes: the
   * logfmt of Tempo's legacy {@code tags} parameter and of Grafana's Jaeger tag field.
   */
  public static Map<String, String> logfmt(String param, String s) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= s.length()) {
        break;
      }
      int keyStart = i;
      while (i < s.length() && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      String key = s.substring(keyStart, i);
      if (i >= s.length() || s.charAt(i) != '=' || key.isEmpty()) {
        throw new InvalidInputException(param + ": '" + s + "' has '" + key + "' at " + keyStart
            + " without a value (expected: key=value pairs separated by spaces)");
      }
      i++;
      StringBuilder value = new StringBuilder();
      if (i < s.length() && s.charAt(i) == '"') {
        int quote = i;
        i++;
        boolean closed = false;
        while (i < s.length()) {
          char c = s.charAt(i++);
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < s.length()) {
            c = s.charAt(i++);
          }
          value.append(c);
        }
        if (!closed) {
          throw new InvalidInputException(param + ": '" + s + "' has a quote at " + quote
              + " that is not closed (expected: \"...\")");
        }
      } else {
        while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
          value.append(s.charAt(i++));
        }
      }
      out.put(key, value.toString());
    }
    return out;
  }

  /** Jaeger's {@code tags} parameter: a JSON object of strings (numbers and booleans taken as their text). */
  public static Map<String, String> jsonTags(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    try (JsonParser p = JsonResponses.JSON.createParser(s)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw badJsonTags(s);
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken v = p.nextToken();
        if (v == null || v.isStructStart() || v == JsonToken.VALUE_NULL) {
          throw badJsonTags(s);
        }
        out.put(key, p.getText());
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw badJsonTags(s);
      }
    } catch (IOException e) {
      throw badJsonTags(s);
    }
    return out;
  }

  private static InvalidInputException badJsonTags(String s) {
    return new InvalidInputException("tags: '" + s + "' (expected: a JSON object of strings, {\"key\":\"value\"})");
  }

  /**
   * {@code q} with {@code tags} as conditions that one span must meet together: {@code service.name}, {@code name}
   * (span name), {@code span.kind}/{@code kind}, {@code status.code}/{@code otel.status_code} and {@code error=true}
   * (the tags Jaeger's translator makes of OTLP fields) map to the span's own fields; every other key is an attribute
   * of the span or its resource.
   */
  public static TraceQuery applyTags(TraceQuery q, Map<String, String> tags) {
    List<AttributeCondition> attrs = new ArrayList<>(q.attributes());
    for (Map.Entry<String, String> e : tags.entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      switch (k) {
        case SpanRecord.SERVICE_NAME -> q = q.withService(v);
        case "name" -> q = q.withSpanName(v);
        case "span.kind", "kind" -> q = q.withKind(kind(k, v));
        case "status.code", "otel.status_code", "status" -> q = q.withStatusCode(status(k, v));
        case "error" -> {
          if (v.equals("true")) {
            q = q.withStatusCode(SpanRecord.StatusCode.ERROR);
          } else {
            attrs.add(AttributeCondition.any(k, v));
          }
        }
        default -> attrs.add(AttributeCondition.any(k, v));
      }
    }
    return q.withAttributes(attrs);
  }

  static SpanRecord.Kind kind(String key, String v) {
    String s = v.toLowerCase(Locale.ROOT);
    if (s.startsWith("span_kind_")) {
      s = s.substring("span_kind_".length());
    }
    for (SpanRecord.Kind k : SpanRecord.Kind.values()) {
      if (k.name().toLowerCase(Locale.ROOT).equals(s)) {
        return k;
      }
    }
    throw new InvalidInputException(key + ": '" + v
        + "' (expected: unspecified, internal, server, client, producer or consumer)");
  }

  static SpanRecord.StatusCode status(String key, String v) {
    String s = v.toLowerCase(Locale.ROOT);
    if (s.startsWith("status_code_")) {
      s = s.substring("status_code_".length());
    }
    switch (s) {
      case "0", "unset":
        return SpanRecord.StatusCode.UNSET;
      case "1", "ok":
        return SpanRecord.StatusCode.OK;
      case "2", "error":
        return SpanRecord.StatusCode.ERROR;
      default:
        throw new InvalidInputException(key + ": '" + v + "' (expected: unset, ok or error, or 0, 1, 2)");
    }
  }

  /**
   * Tempo's value type for a value the store gives as text: {@code bool}, {@code int}, {@code float} or {@code
   * string}. A string attribute that reads as a number is reported as one; the store compares string forms, so the
   * unquoted query Grafana builds from it matches it all the same.
   */
  public static String typeOf(String v) {
    if (v.equals("true") || v.equals("false")) {
      return "bool";
    }
    try {
      Long.parseLong(v);
      return "int";
    } catch (NumberFormatException e) {
      // not an integer
    }
    if (!v.isEmpty() && (Character.isDigit(v.charAt(0)) || v.charAt(0) == '-') && v.indexOf('.') > 0) {
      try {
        double d = Double.parseDouble(v);
        if (Double.isFinite(d) && Double.toString(d).equals(v)) {
          return "float";
        }
      } catch (NumberFormatException e) {
        // not a number
      }
    }
    return "string";
  }
}
