package io.loupe.tsdb.index;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression of a label matcher that is an alternation of plain literals and literal prefixes, such as
 * {@code /|/var/.*} (the value {@code /} or any value starting with {@code /var/}): postings can then look up each
 * literal and scan the sorted values only from each prefix on, instead of running the pattern over every value of the
 * label. {@code Matcher} itself recognises only all-literal alternations and a single prefix.
 */
final class RegexShape {
  private static final String META = "\\^$.|?*+()[]{}";

  final List<String> literals;
  final List<String> prefixes;

  private RegexShape(List<String> literals, List<String> prefixes) {
    this.literals = literals;
    this.prefixes = prefixes;
  }

  /** The shape of the fully anchored regex {@code re}, or null if it is anything but literals and prefixes. */
  static RegexShape of(String re) {
    List<String> literals = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    int start = 0;
    while (true) {
      int bar = re.indexOf('|', start);
      String alt = re.substring(start, bar < 0 ? re.length() : bar);
      if (isLiteral(alt)) {
        literals.add(alt);
      } else if (alt.endsWith(".*") && isLiteral(alt.substring(0, alt.length() - 2))) {
        prefixes.add(alt.substring(0, alt.length() - 2));
      } else {
        return null;
      }
      if (bar < 0) {
        return new RegexShape(literals, prefixes);
      }
      start = bar + 1;
    }
  }

  private static boolean isLiteral(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (META.indexOf(s.charAt(i)) >= 0) {
        return false;
      }
    }
    return true;
  }
}
