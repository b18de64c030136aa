package io.loupe.tsdb.head;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import io.loupe.model.Tenant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * One tenant's series in one shard: labels to series, and postings (label name, value) to the sorted refs of the series
 * that carry them. Guarded by the shard lock.
 */
final class TenantIndex {
  final Tenant tenant;
  final HashMap<Labels, MemSeries> byLabels = new HashMap<>();
  private MemSeries[] byRef = new MemSeries[16];
  private int size;
  final HashMap<String, TreeMap<String, RoaringBitmap>> postings = new HashMap<>();
  final RoaringBitmap all = new RoaringBitmap();
  final ExemplarRing exemplars; // null when exemplars are disabled

  TenantIndex(Tenant tenant, int exemplarCapacity) {
    this.tenant = tenant;
    this.exemplars = exemplarCapacity > 0 ? new ExemplarRing(exemplarCapacity) : null;
  }

  int size() {
    return size;
  }

  MemSeries get(int ref) {
    return byRef[ref];
  }

  MemSeries add(long id, Labels labels) {
    if (size == byRef.length) {
      byRef = Arrays.copyOf(byRef, size * 2);
    }
    MemSeries s = new MemSeries(id, size, labels);
    byRef[size++] = s;
    byLabels.put(labels, s);
    for (int i = 0; i < labels.size(); i++) {
      postings.computeIfAbsent(labels.name(i), k -> new TreeMap<>())
          .computeIfAbsent(labels.value(i), k -> new RoaringBitmap())
          .add(s.ref);
    }
    all.add(s.ref);
    return s;
  }

  /**
   * Refs of the series matching every matcher, with Prometheus semantics: a matcher that matches the empty string also
   * selects series without the label. Starts from the matchers that need a value (intersecting their postings), then
   * removes what the empty-matching ones exclude.
   */
  RoaringBitmap select(List<Matcher> matchers) {
    RoaringBitmap result = null;
    for (Matcher m : matchers) {
      if (m.matchesEmpty()) {
        continue;
      }
      RoaringBitmap b = matching(m);
      if (result == null) {
        result = b;
      } else {
        result.and(b);
      }
      if (result.isEmpty()) {
        return result;
      }
    }
    if (result == null) {
      result = all.clone();
    }
    for (Matcher m : matchers) {
      if (!m.matchesEmpty()) {
        continue;
      }
      TreeMap<String, RoaringBitmap> values = postings.get(m.name());
      if (values == null) {
        continue; // no series has the label: all see "", which matches
      }
      if (m.type() == Matcher.Type.NOT_EQUAL) {
        RoaringBitmap b = values.get(m.value());
        if (b != null) {
          result.andNot(b);
        }
        continue;
      }
      for (Map.Entry<String, RoaringBitmap> e : values.entrySet()) {
        if (!m.matches(e.getKey())) {
          result.andNot(e.getValue());
        }
      }
    }
    return result;
  }

  /** Union of the postings of the values of {@code m.name()} that {@code m} matches (a fresh bitmap). */
  private RoaringBitmap matching(Matcher m) {
    RoaringBitmap out = new RoaringBitmap();
    TreeMap<String, RoaringBitmap> values = postings.get(m.name());
    if (values == null) {
      return out;
    }
    if (m.type() == Matcher.Type.EQUAL) {
      RoaringBitmap b = values.get(m.value());
      if (b != null) {
        out.or(b);
      }
      return out;
    }
    if (m.type() == Matcher.Type.REGEX) {
      String[] alternatives = m.literalAlternatives();
      if (alternatives != null) {
        for (String a : alternatives) {
          RoaringBitmap b = values.get(a);
          if (b != null) {
            out.or(b);
          }
        }
        return out;
      }
      String prefix = m.literalPrefix();
      if (prefix != null) {
        for (Map.Entry<String, RoaringBitmap> e : values.tailMap(prefix, true).entrySet()) {
          if (!e.getKey().startsWith(prefix)) {
            break;
          }
          out.or(e.getValue());
        }
        return out;
      }
    }
    for (Map.Entry<String, RoaringBitmap> e : values.entrySet()) {
      if (m.matches(e.getKey())) {
        out.or(e.getValue());
      }
    }
    return out;
  }
}
