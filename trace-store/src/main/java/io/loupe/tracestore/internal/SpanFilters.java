package io.loupe.tracestore.internal;

import io.loupe.model.SpanRecord;
import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.TagScope;
import io.loupe.model.TraceQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.lucene.util.automaton.CharacterRunAutomaton;
import org.apache.lucene.util.automaton.RegExp;

/**
 * Evaluates a {@link SpanFilter} on a stored span, with the same semantics as its Lucene query (regular expressions
 * in Lucene syntax, anchored), to check the other span sets of a TraceQL query on a candidate trace.
 */
public final class SpanFilters {
  private final Map<String, CharacterRunAutomaton> regexes = new java.util.HashMap<>();

  /** A new evaluator; it keeps the regular expressions it compiled. Not thread-safe. */
  public SpanFilters() {}

  /**
   * The simple conditions of {@code q} (Jaeger's: service, name, kind, status, attributes, duration), all on one span,
   * as a filter; null when it has none.
   */
  public static SpanFilter simpleConditions(TraceQuery q) {
    List<SpanFilter> all = new ArrayList<>();
    if (!q.serviceName().isEmpty()) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.SERVICE, CompareOp.EQ, q.serviceName()));
    }
    if (!q.spanName().isEmpty()) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.NAME, CompareOp.EQ, q.spanName()));
    }
    if (q.kind() != null) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.KIND, CompareOp.EQ, q.kind().name()));
    }
    if (q.statusCode() != null) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.STATUS, CompareOp.EQ, q.statusCode().name()));
    }
    all.addAll(q.attributes());
    if (q.minDurationNanos() > 0) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.DURATION, CompareOp.GE,
          Long.toString(q.minDurationNanos())));
    }
    if (q.maxDurationNanos() < Long.MAX_VALUE) {
      all.add(new SpanFilter.Intrinsic(SpanFilter.IntrinsicField.DURATION, CompareOp.LE,
          Long.toString(q.maxDurationNanos())));
    }
    return all.isEmpty() ? null : new SpanFilter.And(all);
  }

  public boolean anyMatch(List<SpanRecord> spans, SpanFilter f) {
    for (SpanRecord s : spans) {
      if (matches(s, f)) {
        return true;
      }
    }
    return false;
  }

  public boolean matches(SpanRecord s, SpanFilter f) {
    if (f instanceof SpanFilter.And and) {
      for (SpanFilter x : and.filters()) {
        if (!matches(s, x)) {
          return false;
        }
      }
      return true;
    }
    if (f instanceof SpanFilter.Or or) {
      for (SpanFilter x : or.filters()) {
        if (matches(s, x)) {
          return true;
        }
      }
      return false;
    }
    if (f instanceof SpanFilter.Intrinsic i) {
      return switch (i.field()) {
        case NAME -> string(s.name(), i.op(), i.value());
        case SERVICE -> string(s.serviceName(), i.op(), i.value());
        // = and != only (Intrinsic refuses the rest); no lower-cased copy of the name per span
        case STATUS -> s.statusCode().name().equalsIgnoreCase(i.value()) == (i.op() == CompareOp.EQ);
        case KIND -> s.kind().name().equalsIgnoreCase(i.value()) == (i.op() == CompareOp.EQ);
        case DURATION -> number(s.durationNanos(), i.op(), Long.parseLong(i.value()));
      };
    }
    AttributeCondition c = (AttributeCondition) f;
    return (c.scope() != TagScope.SPAN && attribute(s.resourceAttributes(), c))
        || (c.scope() != TagScope.RESOURCE && attribute(s.attributes(), c));
  }

  private boolean attribute(Map<String, Object> attrs, AttributeCondition c) {
    if (!attrs.containsKey(c.key())) {
      return false;
    }
    Object v = attrs.get(c.key());
    if (v instanceof List<?> list) {
      for (Object o : list) {
        if (scalar(o, c)) {
          return true;
        }
      }
      return false;
    }
    return scalar(v, c);
  }

  private boolean scalar(Object v, AttributeCondition c) {
    switch (c.op()) {
      case GT:
      case GE:
      case LT:
      case LE:
        return (v instanceof Long || v instanceof Integer || v instanceof Double)
            && number(((Number) v).doubleValue(), c.op(), Double.parseDouble(c.value()));
      default:
        if (v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer
            || v instanceof Double) {
          return string(String.valueOf(v), c.op(), c.value());
        }
        return false;
    }
  }

  private boolean string(String actual, CompareOp op, String value) {
    return switch (op) {
      case EQ -> actual.equals(value);
      case NE -> !actual.equals(value);
      case REGEX -> regex(value).run(actual);
      case NOT_REGEX -> !regex(value).run(actual);
      default -> false;
    };
  }

  private CharacterRunAutomaton regex(String value) {
    // compiled once per search, not once per span: building the automaton costs far more than running it
    return regexes.computeIfAbsent(value, v -> new CharacterRunAutomaton(new RegExp(v).toAutomaton()));
  }

  private static boolean number(double actual, CompareOp op, double value) {
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
