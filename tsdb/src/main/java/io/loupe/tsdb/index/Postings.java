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
  private final HashMap<String, String> names = new HashMap<>(); // label names are few: a plain interner

  /**
   * {@code labels} rebuilt from the name and value strings this index already holds, where it holds them: series keep
   * their labels for their whole life, and without this each one would keep its own copy of every shared name
   * ({@code __name__}, {@code job}, ...) and value, as decoded from its first request (~50 bytes a string).
   */
  public Labels canonical(Labels labels) {
    String[] kv = null;
    for (int i = 0; i < labels.size(); i++) {
      String name = labels.name(i);
      String value = labels.value(i);
      String cn = canonicalName(name);
      String cv = value;
      TreeMap<String, RoaringBitmap> values = byName.get(name);
      if (values != null) {
        Map.Entry<String, RoaringBitmap> e = values.ceilingEntry(value);
        if (e != null && e.getKey().equals(value)) {
          cv = e.getKey();
        }
      }
      if (cn != name || cv != value) {
        if (kv == null) {
          kv = new String[2 * labels.size()];
          for (int k = 0; k < i; k++) {
            kv[2 * k] = labels.name(k);
            kv[2 * k + 1] = labels.value(k);
          }
        }
      }
      if (kv != null) {
        kv[2 * i] = cn;
        kv[2 * i + 1] = cv;
      }
    }
    return kv == null ? labels : Labels.of(kv);
  }

  private String canonicalName(String name) {
    String c = names.putIfAbsent(name, name);
    return c == null ? name : c;
  }

  public void add(int ref, Labels labels) {
    for (int i = 0; i < labels.size(); i++) {
      canonicalName(labels.name(i));
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
      RegexShape shape = RegexShape.of(m.value());
      if (shape != null) { // e.g. mountpoint=~"/|/var/.*": look up "/", scan from "/var/" while values start with it
        for (String literal : shape.literals) {
          RoaringBitmap b = values.get(literal);
          if (b != null) {
            out.or(b);
          }
        }
        for (String p : shape.prefixes) {
          for (Map.Entry<String, RoaringBitmap> e : values.tailMap(p, true).entrySet()) {
            if (!e.getKey().startsWith(p)) {
              break;
            }
            out.or(e.getValue());
          }
        }
        return out;
      }
    }
    // every distinct value once, however many series hold it
    for (Map.Entry<String, RoaringBitmap> e : values.entrySet()) {
      if (m.matches(e.getKey())) {
        out.or(e.getValue());
      }
    }
    return out;
  }
}
