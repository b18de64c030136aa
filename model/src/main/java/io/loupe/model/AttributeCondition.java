package io.loupe.model;

import static java.util.Objects.requireNonNull;


/**
 * A condition on an attribute of a span: the attribute {@code key} in {@code scope} compared with {@code value} (string
 * forms: numbers as Java prints them, {@code 200}, {@code 1.5}; booleans {@code true}/{@code false}). Order operators
 * need a numeric {@code value} and match numeric attributes.
 */
public record AttributeCondition(TagScope scope, String key, CompareOp op, String value) implements SpanFilter {
  public AttributeCondition {
    requireNonNull(scope, "scope");
    requireNonNull(key, "key");
    requireNonNull(op, "op");
    requireNonNull(value, "value");
    if (key.isEmpty()) {
      throw new InvalidInputException("attribute key: '' (expected: a non-empty name)");
    }
    if (op == CompareOp.GT || op == CompareOp.GE || op == CompareOp.LT || op == CompareOp.LE) {
      try {
        Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new InvalidInputException("attribute '" + key + "' " + op + " '" + value + "' (expected: a number)");
      }
    }
  }

  /** Equality. */
  public AttributeCondition(TagScope scope, String key, String value) {
    this(scope, key, CompareOp.EQ, value);
  }

  /** Equality in either scope. */
  public static AttributeCondition any(String key, String value) {
    return new AttributeCondition(TagScope.ANY, key, CompareOp.EQ, value);
  }
}
