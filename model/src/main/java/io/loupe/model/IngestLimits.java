package io.loupe.model;

/**
 * Per-tenant validation limits applied to every series before it reaches a store; the defaults are Prometheus's and
 * Mimir's. Series-count limits belong to the store, which knows whether a series is new.
 */
public record IngestLimits(
    int maxLabelNamesPerSeries, int maxLabelNameLength, int maxLabelValueLength, int maxMetadataLength) {
  public IngestLimits {
    positive(maxLabelNamesPerSeries, "maxLabelNamesPerSeries");
    positive(maxLabelNameLength, "maxLabelNameLength");
    positive(maxLabelValueLength, "maxLabelValueLength");
    positive(maxMetadataLength, "maxMetadataLength");
  }

  public static IngestLimits defaults() {
    return new IngestLimits(30, 1024, 2048, 1024);
  }

  public IngestLimits withMaxLabelNamesPerSeries(int n) {
    return new IngestLimits(n, maxLabelNameLength, maxLabelValueLength, maxMetadataLength);
  }

  public IngestLimits withMaxLabelValueLength(int n) {
    return new IngestLimits(maxLabelNamesPerSeries, maxLabelNameLength, n, maxMetadataLength);
  }

  /**
   * Checks {@code labels} against these limits and Prometheus's label syntax; returns null when valid, else a message
   * naming the offending label.
   */
  public String validate(Labels labels) {
    if (labels.size() > maxLabelNamesPerSeries) {
      return "series " + abbreviate(labels) + " has " + labels.size() + " labels (expected: at most "
          + maxLabelNamesPerSeries + ")";
    }
    if (labels.metricName().isEmpty()) {
      return "series " + abbreviate(labels) + " has no metric name (__name__)";
    }
    for (int i = 0; i < labels.size(); i++) {
      String n = labels.name(i);
      String v = labels.value(i);
      if (n.length() > maxLabelNameLength) {
        return "label name '" + n.substring(0, 64) + "...' is " + n.length() + " characters (expected: at most "
            + maxLabelNameLength + ")";
      }
      if (!validLabelName(n)) {
        return "label name '" + n + "' of series " + abbreviate(labels)
            + " is invalid (expected: [a-zA-Z_][a-zA-Z0-9_]*)";
      }
      if (v.length() > maxLabelValueLength) {
        return "label '" + n + "' of series " + abbreviate(labels) + " has a value of " + v.length()
            + " characters (expected: at most " + maxLabelValueLength + ")";
      }
      if (!validUtf16(v)) {
        return "label '" + n + "' of series " + abbreviate(labels) + " has a value that is not valid UTF-8";
      }
    }
    return null;
  }

  /** Prometheus's legacy label-name syntax, which every PromQL client can quote. */
  public static boolean validLabelName(String n) {
    if (n.isEmpty()) {
      return false;
    }
    for (int i = 0; i < n.length(); i++) {
      char c = n.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean validUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(Labels l) {
    String s = l.toString();
    return s.length() > 200 ? s.substring(0, 200) + "...}" : s;
  }

  private static void positive(int v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: > 0)");
    }
  }
}
