package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small command-line parser: flags are declared with a default and a help line, then parsed from {@code --name value},
 * {@code --name=value} or, for booleans, a bare {@code --name}. Unknown flags and malformed values fail with a message
 * that names the flag, the value and the expectation.
 */
public final class Flags {
  private record Spec(String name, String defaultValue, boolean bool, String help) {}

  private final String program;
  private final Map<String, Spec> specs = new LinkedHashMap<>();
  private final Map<String, String> values = new LinkedHashMap<>();

  public Flags(String program) {
    this.program = requireNonNull(program, "program");
    bool("help", "print this help and exit");
  }

  /** Declares a flag taking a value. */
  public Flags flag(String name, String defaultValue, String help) {
    specs.put(requireNonNull(name, "name"), new Spec(name, requireNonNull(defaultValue, "defaultValue"), false, help));
    return this;
  }

  /** Declares a boolean flag, false unless given. */
  public Flags bool(String name, String help) {
    specs.put(requireNonNull(name, "name"), new Spec(name, "false", true, help));
    return this;
  }

  /** Parses {@code args}; throws {@link IllegalArgumentException} naming the first bad argument. */
  public Flags parse(String... args) {
    requireNonNull(args, "args");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || a.length() == 2) {
        throw new IllegalArgumentException("argument: '" + a + "' (expected: --flag or --flag=value)");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Spec spec = specs.get(name);
      if (spec == null) {
        throw new IllegalArgumentException("flag: --" + name + " (expected one of: " + String.join(", ",
            specs.keySet().stream().map(n -> "--" + n).toList()) + ")");
      }
      if (value == null) {
        if (spec.bool()) {
          value = "true";
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw new IllegalArgumentException("flag --" + name + ": no value (expected: --" + name + " <value>)");
        }
      }
      if (spec.bool() && !value.equals("true") && !value.equals("false")) {
        throw new IllegalArgumentException("flag --" + name + ": '" + value + "' (expected: true or false)");
      }
      values.put(name, value);
    }
    return this;
  }

  public boolean helpRequested() {
    return bool("help");
  }

  public String string(String name) {
    Spec spec = spec(name);
    return values.getOrDefault(name, spec.defaultValue());
  }

  public boolean bool(String name) {
    return Boolean.parseBoolean(string(name));
  }

  /** An int, at least {@code min}. */
  public int intValue(String name, int min) {
    long v = longValue(name, min);
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("flag --" + name + ": " + v + " (expected: <= " + Integer.MAX_VALUE + ")");
    }
    return (int) v;
  }

  /** A long, at least {@code min}; accepts {@code _} separators and the suffixes k and m (10k = 10000). */
  public long longValue(String name, long min) {
    String raw = string(name);
    String s = raw.replace("_", "").toLowerCase(Locale.ROOT);
    long mult = 1;
    if (s.endsWith("k")) {
      mult = 1_000;
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("m")) {
      mult = 1_000_000;
      s = s.substring(0, s.length() - 1);
    }
    long v;
    try {
      v = Math.multiplyExact(Long.parseLong(s), mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("flag --" + name + ": '" + raw + "' (expected: an integer such as 2000 or 10k)");
    }
    if (v < min) {
      throw new IllegalArgumentException("flag --" + name + ": " + v + " (expected: >= " + min + ")");
    }
    return v;
  }

  /** A positive duration such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}; a bare number is seconds. */
  public Duration duration(String name) {
    String raw = string(name);
    Duration d = parseDuration(raw);
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(
          "flag --" + name + ": '" + raw + "' (expected: a positive duration such as 500ms, 30s, 5m, 2h)");
    }
    return d;
  }

  static Duration parseDuration(String raw) {
    String s = raw.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else if (s.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
      } else if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      } else if (s.endsWith("h")) {
        return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      return Duration.ofSeconds(Long.parseLong(s));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The usage text: every flag with its default and help line. */
  public String usage() {
    StringBuilder sb = new StringBuilder("usage: ").append(program).append(" [flags]\n");
    for (Spec s : specs.values()) {
      String left = "  --" + s.name() + (s.bool() ? "" : " <" + s.defaultValue() + ">");
      if (left.length() > 33) {
        sb.append(left).append('\n').append(" ".repeat(34));
      } else {
        sb.append(String.format(Locale.ROOT, "%-34s", left));
      }
      sb.append(' ').append(s.help()).append('\n');
    }
    return sb.toString();
  }

  private Spec spec(String name) {
    Spec spec = specs.get(name);
    if (spec == null) {
      throw new IllegalStateException("flag --" + name + " was never declared");
    }
    return spec;
  }
}
