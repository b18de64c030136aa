package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A label matcher: {@code name=value}, {@code !=}, {@code =~} or {@code !~}. Regular expressions are fully anchored, as
 * in Prometheus. A matcher on a missing label sees the empty string.
 */
public final class Matcher {
  /** The four PromQL match operators. */
  public enum Type {
    EQUAL("="), NOT_EQUAL("!="), REGEX("=~"), NOT_REGEX("!~");

    private final String op;

    Type(String op) {
      this.op = op;
    }

    public String op() {
      return op;
    }
  }

  private final Type type;
  private final String name;
  private final String value;
  private final Pattern pattern; // null unless a regex type
  private final String[] literalAlternatives; // non-null when the regex is a plain a|b|c of literals
  private final String literalPrefix; // non-null when the regex is "prefix.*"

  private Matcher(Type type, String name, String value) {
    this.type = requireNonNull(type, "type");
    this.name = requireNonNull(name, "name");
    this.value = requireNonNull(value, "value");
    if (type == Type.REGEX || type == Type.NOT_REGEX) {
      try {
        this.pattern = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
      } catch (PatternSyntaxException e) {
        throw new InvalidInputException(
            "matcher " + name + type.op + "\"" + value + "\": invalid regular expression: " + e.getDescription());
      }
      this.literalAlternatives = literalAlternatives(value);
      this.literalPrefix = literalAlternatives == null ? literalPrefix(value) : null;
    } else {
      this.pattern = null;
      this.literalAlternatives = null;
      this.literalPrefix = null;
    }
  }

  public static Matcher of(Type type, String name, String value) {
    return new Matcher(type, name, value);
  }

  public static Matcher equal(String name, String value) {
    return new Matcher(Type.EQUAL, name, value);
  }

  public static Matcher notEqual(String name, String value) {
    return new Matcher(Type.NOT_EQUAL, name, value);
  }

  public static Matcher regex(String name, String value) {
    return new Matcher(Type.REGEX, name, value);
  }

  public static Matcher notRegex(String name, String value) {
    return new Matcher(Type.NOT_REGEX, name, value);
  }

  public static Matcher metricName(String metric) {
    return equal(Labels.METRIC_NAME, metric);
  }

  public Type type() {
    return type;
  }

  public String name() {
    return name;
  }

  public String value() {
    return value;
  }

  /** Whether {@code v} (the empty string for a missing label) satisfies this matcher. */
  public boolean matches(String v) {
    return switch (type) {
      case EQUAL -> value.equals(v);
      case NOT_EQUAL -> !value.equals(v);
      case REGEX -> regexMatches(v);
      case NOT_REGEX -> !regexMatches(v);
    };
  }

  /** Whether the empty string matches, i.e. whether series lacking the label are selected. */
  public boolean matchesEmpty() {
    return matches("");
  }

  /**
   * For {@code =~"a|b|c"} of plain literals: the literals, so a store can look each up instead of scanning every value.
   * Null otherwise.
   */
  public String[] literalAlternatives() {
    return literalAlternatives == null ? null : literalAlternatives.clone();
  }

  /** For {@code =~"prefix.*"}: the prefix; null otherwise. */
  public String literalPrefix() {
    return literalPrefix;
  }

  private boolean regexMatches(String v) {
    if (literalAlternatives != null) {
      for (String a : literalAlternatives) {
        if (a.equals(v)) {
          return true;
        }
      }
      return false;
    }
    if (literalPrefix != null) {
      return v.startsWith(literalPrefix);
    }
    return pattern.matcher(v).matches();
  }

  private static boolean isLiteral(String s) {
    for (int i = 0; i < s.length(); i++) {
      if ("\\^$.|?*+()[]{}".indexOf(s.charAt(i)) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static String[] literalAlternatives(String re) {
    String[] parts = re.split("\\|", -1);
    for (String p : parts) {
      if (!isLiteral(p)) {
        return null;
      }
    }
    return parts;
  }

  private static String literalPrefix(String re) {
    if (re.endsWith(".*") && re.length() > 2) {
      String p = re.substring(0, re.length() - 2);
      if (isLiteral(p)) {
        return p;
      }
    }
    return null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Matcher m && m.type == type && m.name.equals(name) && m.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, name, value);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(type.op).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '"' -> sb.append("\\\"");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
