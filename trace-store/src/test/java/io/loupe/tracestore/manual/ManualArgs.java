package io.loupe.tracestore.manual;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code key=value} arguments of the manual mains, in their order. */
final class ManualArgs {
  private ManualArgs() {}

  static Map<String, String> parse(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("argument '" + arg + "' (expected: key=value)");
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return a;
  }
}
