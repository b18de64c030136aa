package io.loupe.collector.otlp.internal;

/**
 * A metric or label name that cannot be translated (empty, or only underscores after escaping). Expected on bad input,
 * so it carries no stack trace.
 */
public final class NamingException extends Exception {
  private static final long serialVersionUID = 1L;

  public NamingException(String message) {
    super(message, null, false, false);
  }
}
