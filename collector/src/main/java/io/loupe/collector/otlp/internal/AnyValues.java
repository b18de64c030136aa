package io.loupe.collector.otlp.internal;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** OTLP {@code AnyValue} → label strings (metrics) and → Java values (spans). */
public final class AnyValues {
  private AnyValues() {}

  /**
   * The label value of an attribute, per the OpenTelemetry rules for non-string values: booleans and numbers in their
   * usual text, bytes in base64, arrays and maps as JSON.
   */
  public static String toLabelValue(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue() ? "true" : "false";
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> formatDouble(v.getDoubleValue());
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE, KVLIST_VALUE -> {
        StringBuilder sb = new StringBuilder();
        json(v, sb);
        yield sb.toString();
      }
      default -> "";
    };
  }

  /** Go's {@code strconv.FormatFloat(f, 'f', -1, 64)}: shortest decimal, no exponent; NaN and ±Inf spelled out. */
  public static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    }
    if (d == 0) {
      return "0";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
  }

  private static void json(AnyValue v, StringBuilder sb) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> jsonString(v.getStringValue(), sb);
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case INT_VALUE -> sb.append(v.getIntValue());
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (Double.isFinite(d)) {
          sb.append(formatDouble(d));
        } else {
          jsonString(formatDouble(d), sb);
        }
      }
      case BYTES_VALUE -> jsonString(Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()), sb);
      case ARRAY_VALUE -> {
        sb.append('[');
        List<AnyValue> values = v.getArrayValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          json(values.get(i), sb);
        }
        sb.append(']');
      }
      case KVLIST_VALUE -> {
        sb.append('{');
        List<KeyValue> kvs = v.getKvlistValue().getValuesList();
        for (int i = 0; i < kvs.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          jsonString(kvs.get(i).getKey(), sb);
          sb.append(':');
          json(kvs.get(i).getValue(), sb);
        }
        sb.append('}');
      }
      default -> sb.append("null");
    }
  }

  private static void jsonString(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /**
   * The Java value of an attribute as {@link io.loupe.model.SpanRecord} documents it: String, Boolean, Long, Double,
   * byte[], List, or an insertion-ordered Map. An unset value becomes the empty string.
   */
  public static Object toJava(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case INT_VALUE -> v.getIntValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      case BYTES_VALUE -> v.getBytesValue().toByteArray();
      case ARRAY_VALUE -> {
        List<AnyValue> values = v.getArrayValue().getValuesList();
        List<Object> out = new ArrayList<>(values.size());
        for (AnyValue e : values) {
          out.add(toJava(e));
        }
        yield Collections.unmodifiableList(out);
      }
      case KVLIST_VALUE -> toJava(v.getKvlistValue().getValuesList());
      default -> "";
    };
  }

  /** Attributes as an unmodifiable insertion-ordered map; a repeated key keeps its last value. */
  public static Map<String, Object> toJava(List<KeyValue> kvs) {
    if (kvs.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>(Math.max(4, kvs.size() * 2));
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), toJava(kv.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }
}
