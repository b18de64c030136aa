package io.loupe.tsdb.index;

import io.loupe.model.Labels;
import io.loupe.model.Matcher;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.roaringbitmap.RoaringBitmap;

/**
 * Postings of one set of series: label name → value → sorted refs (RoaringBitmap), and all refs. Used by the head (per
 * tenant and shard) and by each block. Not thread-safe.
 */
public final class Postings {
  private final HashMap<String, TreeMap<String, RoaringBitmap>> byName = new HashMap<>();
  private final RoaringBitmap all = new RoaringBitmap();

  public void add(int ref, Labels labels) {
    for (int i = 0; i < labels.size(); i++) {
      byName.computeIfAbsent(labels.name(i), k -> new TreeMap<>())
          .computeIfAbsent(labels.value(i), k -> new RoaringBitmap())
          .add(ref);
    }
    all.add(ref);
  }

  public void remove(int ref, Labels labels) {
    for (int i = 0; i < labels.size(); i++) {
      TreeMap<String, RoaringBitmap> values = byName.get(labels.name(i));
      if (values == null) {
        continue;
      }
      RoaringBitmap b = values.get(labels.value(i));
      if (b != null) {
        b.remove(ref);
        if (b.isEmpty()) {
          values.remove(labels.value(i));
          if (values.isEmpty()) {
            byName.remove(labels.name(i));
          }
        }
      }
    }
    all.remove(ref);
  }

  /** Label name → value → refs; do not modify. */
  public Map<String, TreeMap<String, RoaringBitmap>> byName() {
    return byName;
  }

  /**
   * Refs of the series matching every matcher, with Prometheus semantics: a matcher that matches the empty string also
   * selects series without the label. Starts from the matchers that need a value (intersecting their postings), then
   * removes what the empty-matching ones exclude. A fresh bitmap.
   */
  public RoaringBitmap select(List<Matcher> matchers) {
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
      TreeMap<String, RoaringBitmap> values = byName.get(m.name());
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
    TreeMap<String, RoaringBitmap> values = byName.get(m.name());
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
