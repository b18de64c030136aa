package io.loupe.tracestore;

import static java.util.Objects.requireNonNull;

import io.loupe.model.InvalidInputException;

/**
 * An attribute equality condition of a trace search: the attribute {@code key} in {@code scope} has the string form
 * {@code value} (numbers as Java prints them: {@code 200}, {@code 1.5}; booleans as {@code true}/{@code false}).
 */
public record AttributeCondition(TagScope scope, String key, String value) {
  public AttributeCondition {
    requireNonNull(scope, "scope");
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    if (key.isEmpty()) {
      throw new InvalidInputException("attribute key: '' (expected: a non-empty name)");
    }
  }

  public static AttributeCondition any(String key, String value) {
    return new AttributeCondition(TagScope.ANY, key, value);
  }
}
