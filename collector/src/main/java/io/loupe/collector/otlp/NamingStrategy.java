package io.loupe.collector.otlp;

/**
 * How OTLP metric and attribute names become Prometheus names: Prometheus's {@code otlp.translation_strategy}. Only
 * the two escaping strategies produce names that pass {@link io.loupe.model.IngestLimits#validate}, which checks the
 * legacy label-name syntax; the others exist for conformance tests and for when the store accepts UTF-8 names.
 */
public enum NamingStrategy {
  /** {@code UnderscoreEscapingWithSuffixes}, the default: {@code http.server.duration} (s) → {@code http_server_duration_seconds}. */
  UNDERSCORE_ESCAPING_WITH_SUFFIXES(true, true),
  /** {@code UnderscoreEscapingWithoutSuffixes}: escaped, but no unit, {@code _total} or {@code _ratio} suffixes. */
  UNDERSCORE_ESCAPING_WITHOUT_SUFFIXES(true, false),
  /** {@code NoUTF8EscapingWithSuffixes}: names kept as sent (dots and all), suffixes added. */
  NO_UTF8_ESCAPING_WITH_SUFFIXES(false, true),
  /** {@code NoTranslation}: names kept exactly as sent. */
  NO_TRANSLATION(false, false);

  private final boolean escape;
  private final boolean suffixes;

  NamingStrategy(boolean escape, boolean suffixes) {
    this.escape = escape;
    this.suffixes = suffixes;
  }

  public boolean escapes() {
    return escape;
  }

  public boolean addsSuffixes() {
    return suffixes;
  }
}
