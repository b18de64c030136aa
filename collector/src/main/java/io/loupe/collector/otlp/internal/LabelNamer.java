package io.loupe.collector.otlp.internal;

/**
 * OTLP attribute key → Prometheus label name, following Prometheus's {@code otlptranslator} {@code LabelNamer}
 * (checked against every row of ../shared/conformance/otlp/label-names.tsv). Immutable and thread-safe.
 */
public final class LabelNamer {
  private final boolean utf8Allowed;
  private final boolean preserveMultipleUnderscores;
  private final boolean underscoreLabelSanitization;

  /**
   * Prometheus's defaults are {@code preserveMultipleUnderscores = true} and {@code underscoreLabelSanitization = true}.
   */
  public LabelNamer(boolean utf8Allowed, boolean preserveMultipleUnderscores, boolean underscoreLabelSanitization) {
    this.utf8Allowed = utf8Allowed;
    this.preserveMultipleUnderscores = preserveMultipleUnderscores;
    this.underscoreLabelSanitization = underscoreLabelSanitization;
  }

  public static LabelNamer prometheusDefaults(boolean utf8Allowed) {
    return new LabelNamer(utf8Allowed, true, true);
  }

  public String build(String label) throws NamingException {
    if (label.isEmpty()) {
      throw new NamingException("label name is empty");
    }
    if (utf8Allowed) {
      if (MetricNamer.onlyUnderscores(label)) {
        throw new NamingException("label name " + MetricNamer.quote(label) + " contains only underscores");
      }
      return label;
    }
    if (isFastPath(label)) {
      return label;
    }
    String s = sanitize(label);
    if (!preserveMultipleUnderscores) {
      // A reserved-looking name "__x__" keeps its double underscores at both ends.
      if (s.length() > 4 && s.startsWith("__") && s.endsWith("__")) {
        s = "__" + collapse(s.substring(2, s.length() - 2)) + "__";
      } else {
        s = collapse(s);
      }
    }
    if (MetricNamer.isDigit(s.charAt(0))) {
      s = "key_" + s;
    } else if (underscoreLabelSanitization && s.startsWith("_") && !s.startsWith("__")) {
      s = "key" + s;
    }
    if (MetricNamer.onlyUnderscores(s)) {
      throw new NamingException(
          "normalization for label name " + MetricNamer.quote(label) + " resulted in invalid name "
              + MetricNamer.quote(s));
    }
    return s;
  }

  // Most attribute keys ("method", "status_code") need no work: [a-zA-Z][a-zA-Z0-9_]* without "__".
  private boolean isFastPath(String label) {
    char first = label.charAt(0);
    if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
      return false;
    }
    char prev = first;
    for (int i = 1; i < label.length(); i++) {
      char c = label.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok || (c == '_' && prev == '_' && !preserveMultipleUnderscores)) {
        return false;
      }
      prev = c;
    }
    return true;
  }

  // Every code point outside [a-zA-Z0-9_] becomes one "_".
  private static String sanitize(String label) {
    StringBuilder sb = new StringBuilder(label.length());
    for (int i = 0; i < label.length(); ) {
      int cp = label.codePointAt(i);
      i += Character.charCount(cp);
      boolean ok = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
      sb.append(ok ? (char) cp : '_');
    }
    return sb.toString();
  }

  private static String collapse(String s) {
    if (!s.contains("__")) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '_' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '_') {
        continue;
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
