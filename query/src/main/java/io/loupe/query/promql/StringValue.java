package io.loupe.query.promql;

import static java.util.Objects.requireNonNull;

/** A string literal result at a time. */
public record StringValue(long timestampMs, String value) implements Value {
  public StringValue {
    requireNonNull(value, "value");
  }

  @Override
  public String typeName() {
    return "string";
  }
}
