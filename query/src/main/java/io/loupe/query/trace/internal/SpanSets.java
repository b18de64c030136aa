package io.loupe.query.trace.internal;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The spans of a found trace that Tempo's search answer lists under {@code spanSets}: those matching any of the
 * query's span filters (every span for {@code { }}), with the attributes the filters name. This only chooses what to
 * show: the store decided which traces match. Regular expressions here are Java's, anchored; where one differs from
 * the store's Lucene syntax, a span may be left out of the list, never a trace out of the answer.
 */
public final class SpanSets {
  /** The spans to show and how many matched. */
  public record SpanSet(List<SpanRecord> spans, int matched, List<String> attributeKeys) {}

  private SpanSets() {}

  public static SpanSet of(List<SpanRecord> trace, List<SpanFilter> filters, int max) {
    List<SpanRecord> sorted = new ArrayList<>(trace);
    sorted.sort(Comparator.comparingLong(SpanRecord::startEpochNanos).thenComparing(SpanRecord::spanId));
    List<SpanRecord> shown = new ArrayList<>();
    int matched = 0;
    for (SpanRecord s : sorted) {
      if (filters.isEmpty() || filters.stream().anyMatch(f -> matches(s, f))) {
        matched++;
        if (shown.size() < max) {
          shown.add(s);
        }
      }
    }
    List<String> keys = new ArrayList<>();
    for (SpanFilter f : filters) {
      keys(f, keys);
    }
    return new SpanSet(shown, matched, keys);
  }

  /** {@code service.name} first, then the attributes the filters name, with the span's (or its resource's) values. */
  public static Map<String, Object> attributes(SpanRecord s, List<String> keys) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(SpanRecord.SERVICE_NAME, s.serviceName());
    for (String k : keys) {
      Object v = s.attributes().containsKey(k) ? s.attributes().get(k) : s.resourceAttributes().get(k);
      if (v != null) {
        out.putIfAbsent(k, v);
      }
    }
    return out;
  }

  private static void keys(SpanFilter f, List<String> out) {
    if (f instanceof SpanFilter.And a) {
      a.filters().forEach(x -> keys(x, out));
    } else if (f instanceof SpanFilter.Or o) {
      o.filters().forEach(x -> keys(x, out));
    } else if (f instanceof AttributeCondition c && !out.contains(c.key())) {
      out.add(c.key());
    }
  }

  /** Whether span {@code s} satisfies {@code f} (TraceQL semantics: a list attribute matches if any element does). */
  public static boolean matches(SpanRecord s, SpanFilter f) {
    if (f instanceof SpanFilter.And and) {
      return and.filters().stream().allMatch(x -> matches(s, x));
    }
    if (f instanceof SpanFilter.Or or) {
      return or.filters().stream().anyMatch(x -> matches(s, x));
    }
    if (f instanceof SpanFilter.Intrinsic i) {
      return switch (i.field()) {
        case NAME -> text(s.name(), i.op(), i.value());
        case SERVICE -> text(s.serviceName(), i.op(), i.value());
        case STATUS -> text(s.statusCode().name().toLowerCase(Locale.ROOT), i.op(), i.value());
        case KIND -> text(s.kind().name().toLowerCase(Locale.ROOT), i.op(), i.value());
        case DURATION -> number(s.durationNanos(), i.op(), Long.parseLong(i.value()));
      };
    }
    AttributeCondition c = (AttributeCondition) f;
    return (c.scope() != TagScope.SPAN && attribute(s.resourceAttributes().get(c.key()), c))
        || (c.scope() != TagScope.RESOURCE && attribute(s.attributes().get(c.key()), c));
  }

  private static boolean attribute(Object v, AttributeCondition c) {
    if (v == null) {
      return false;
    }
    if (v instanceof List<?> list) {
      return list.stream().anyMatch(x -> attribute(x, c));
    }
    return switch (c.op()) {
      case GT, GE, LT, LE -> (v instanceof Long || v instanceof Double || v instanceof Integer)
          && number(((Number) v).doubleValue(), c.op(), Double.parseDouble(c.value()));
      default -> (v instanceof String || v instanceof Boolean || v instanceof Number)
          && text(String.valueOf(v), c.op(), c.value());
    };
  }

  static boolean text(String actual, CompareOp op, String value) {
    return switch (op) {
      case EQ -> actual.equals(value);
      case NE -> !actual.equals(value);
      case REGEX -> regex(value, actual);
      case NOT_REGEX -> !regex(value, actual);
      default -> false;
    };
  }

  private static boolean regex(String value, String actual) {
    try {
      return Pattern.compile(value).matcher(actual).matches();
    } catch (PatternSyntaxException e) {
      return false;
    }
  }

  static boolean number(double actual, CompareOp op, double value) {
    return switch (op) {
      case EQ -> actual == value;
      case NE -> actual != value;
      case GT -> actual > value;
      case GE -> actual >= value;
      case LT -> actual < value;
      case LE -> actual <= value;
      default -> false;
    };
  }
}
