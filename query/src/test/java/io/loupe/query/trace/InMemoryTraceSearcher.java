package io.loupe.query.trace;

import io.loupe.model.AttributeCondition;
import io.loupe.model.CompareOp;
import io.loupe.model.SpanFilter;
import io.loupe.model.SpanRecord;
import io.loupe.model.TagScope;
import io.loupe.model.Tenant;
import io.loupe.model.TraceQuery;
import io.loupe.model.TraceSearcher;
import io.loupe.model.TraceSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * A test-only {@link TraceSearcher} that scans the spans of an {@link InMemorySpanReader}; not a store. It filters for
 * real, with the SPI's semantics (regular expressions in Java syntax, anchored), so the API tests can fail. It keeps
 * the last query it was asked, so tests can check how parameters were mapped.
 */
final class InMemoryTraceSearcher implements TraceSearcher {
  private final InMemorySpanReader reader;
  final AtomicReference<TraceQuery> lastQuery = new AtomicReference<>();

  InMemoryTraceSearcher(InMemorySpanReader reader) {
    this.reader = reader;
  }

  @Override
  public List<TraceSummary> search(Tenant tenant, TraceQuery q) {
    lastQuery.set(q);
    Map<String, List<SpanRecord>> traces = new LinkedHashMap<>();
    for (SpanRecord s : reader.spans(tenant)) {
      traces.computeIfAbsent(s.traceId(), k -> new ArrayList<>()).add(s);
    }
    List<TraceSummary> out = new ArrayList<>();
    for (Map.Entry<String, List<SpanRecord>> e : traces.entrySet()) {
      List<SpanRecord> spans = e.getValue();
      boolean simple = spans.stream().anyMatch(s -> s.startEpochNanos() >= q.startEpochNanos()
          && s.startEpochNanos() <= q.endEpochNanos() && simple(s, q));
      boolean filters = q.spanFilters().stream().allMatch(f -> spans.stream().anyMatch(s -> matches(s, f)));
      if (simple && filters) {
        out.add(summary(e.getKey(), spans));
      }
    }
    out.sort(Comparator.comparingLong(TraceSummary::startEpochNanos).reversed());
    return out.stream().limit(q.limit()).toList();
  }

  private static TraceSummary summary(String id, List<SpanRecord> spans) {
    long start = spans.stream().mapToLong(SpanRecord::startEpochNanos).min().orElseThrow();
    long end = spans.stream().mapToLong(SpanRecord::endEpochNanos).max().orElseThrow();
    SpanRecord root = spans.stream().filter(SpanRecord::isRoot).findFirst()
        .orElse(spans.stream().min(Comparator.comparingLong(SpanRecord::startEpochNanos)).orElseThrow());
    return new TraceSummary(id, root.serviceName(), root.name(), start, end - start, spans.size());
  }

  private static boolean simple(SpanRecord s, TraceQuery q) {
    return (q.serviceName().isEmpty() || s.serviceName().equals(q.serviceName()))
        && (q.spanName().isEmpty() || s.name().equals(q.spanName()))
        && (q.kind() == null || s.kind() == q.kind())
        && (q.statusCode() == null || s.statusCode() == q.statusCode())
        && s.durationNanos() >= q.minDurationNanos() && s.durationNanos() <= q.maxDurationNanos()
        && q.attributes().stream().allMatch(c -> matches(s, c));
  }

  static boolean matches(SpanRecord s, SpanFilter f) {
    if (f instanceof SpanFilter.And and) {
      return and.filters().stream().allMatch(x -> matches(s, x));
    }
    if (f instanceof SpanFilter.Or or) {
      return or.filters().stream().anyMatch(x -> matches(s, x));
    }
    if (f instanceof SpanFilter.Intrinsic i) {
      return switch (i.field()) {
        case NAME -> string(s.name(), i.op(), i.value());
        case SERVICE -> string(s.serviceName(), i.op(), i.value());
        case STATUS -> string(s.statusCode().name().toLowerCase(Locale.ROOT), i.op(), i.value());
        case KIND -> string(s.kind().name().toLowerCase(Locale.ROOT), i.op(), i.value());
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
    return switch (c.op()) {
      case GT, GE, LT, LE -> v instanceof Number n && number(n.doubleValue(), c.op(), Double.parseDouble(c.value()));
      default -> string(String.valueOf(v), c.op(), c.value());
    };
  }

  private static boolean string(String actual, CompareOp op, String value) {
    return switch (op) {
      case EQ -> actual.equals(value);
      case NE -> !actual.equals(value);
      case REGEX -> Pattern.compile(value).matcher(actual).matches();
      case NOT_REGEX -> !Pattern.compile(value).matcher(actual).matches();
      default -> false;
    };
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

  @Override
  public List<String> services(Tenant tenant) {
    return List.copyOf(new TreeSet<>(reader.spans(tenant).stream().map(SpanRecord::serviceName).toList()));
  }

  @Override
  public List<String> operations(Tenant tenant, String service) {
    return List.copyOf(new TreeSet<>(reader.spans(tenant).stream().filter(s -> s.serviceName().equals(service))
        .map(SpanRecord::name).toList()));
  }

  @Override
  public List<String> tagNames(Tenant tenant, TagScope scope) {
    TreeSet<String> out = new TreeSet<>();
    for (SpanRecord s : reader.spans(tenant)) {
      if (scope != TagScope.SPAN) {
        out.addAll(s.resourceAttributes().keySet());
      }
      if (scope != TagScope.RESOURCE) {
        out.addAll(s.attributes().keySet());
      }
    }
    return List.copyOf(out);
  }

  @Override
  public List<String> tagValues(Tenant tenant, TagScope scope, String key, int limit) {
    TreeSet<String> out = new TreeSet<>();
    for (SpanRecord s : reader.spans(tenant)) {
      if (scope != TagScope.SPAN && s.resourceAttributes().containsKey(key)) {
        out.add(String.valueOf(s.resourceAttributes().get(key)));
      }
      if (scope != TagScope.RESOURCE && s.attributes().containsKey(key)) {
        out.add(String.valueOf(s.attributes().get(key)));
      }
    }
    return out.stream().limit(limit).toList();
  }
}
