package io.loupe.query.trace.internal;

import io.loupe.model.SpanRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The spans of a trace regrouped as OTLP nests them, resource → scope → spans, each level in order of first
 * appearance after sorting spans by start time.
 */
public final class SpanGroups {
  /** The spans of one instrumentation scope. */
  public record Scope(String name, String version, List<SpanRecord> spans) {}

  /** The scopes of one resource. */
  public record Resource(Map<String, Object> attributes, List<Scope> scopes) {}

  private SpanGroups() {}

  public static List<Resource> of(List<SpanRecord> spans) {
    List<SpanRecord> sorted = new ArrayList<>(spans);
    sorted.sort(Comparator.comparingLong(SpanRecord::startEpochNanos).thenComparing(SpanRecord::spanId));
    Map<Map<String, Object>, Map<List<String>, List<SpanRecord>>> byResource = new LinkedHashMap<>();
    for (SpanRecord s : sorted) {
      byResource.computeIfAbsent(s.resourceAttributes(), k -> new LinkedHashMap<>())
          .computeIfAbsent(List.of(s.scopeName(), s.scopeVersion()), k -> new ArrayList<>())
          .add(s);
    }
    List<Resource> out = new ArrayList<>(byResource.size());
    byResource.forEach((attrs, scopes) -> {
      List<Scope> list = new ArrayList<>(scopes.size());
      scopes.forEach((key, ss) -> list.add(new Scope(key.get(0), key.get(1), ss)));
      out.add(new Resource(attrs, list));
    });
    return out;
  }
}
