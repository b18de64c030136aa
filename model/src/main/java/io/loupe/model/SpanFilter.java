package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A condition on one span: TraceQL's {@code { ... }} body. A {@link TraceQuery} with several filters returns traces
 * that have, for each filter, some span matching it (TraceQL {@code { a } && { b }}).
 */
public sealed interface SpanFilter
    permits AttributeCondition, SpanFilter.Intrinsic, SpanFilter.And, SpanFilter.Or {

  /** Span fields that are not attributes. */
  enum IntrinsicField {
    /** Span name; EQ, NE, REGEX, NOT_REGEX. */
    NAME,
    /** {@code service.name}; EQ, NE, REGEX, NOT_REGEX. */
    SERVICE,
    /** {@code unset}, {@code ok}, {@code error}; EQ, NE. */
    STATUS,
    /** {@code unspecified internal server client producer consumer}; EQ, NE. */
    KIND,
    /** Nanoseconds, as a decimal string; every operator but the regex ones. */
    DURATION
  }

  /** {@code field op value} on an intrinsic field. */
  record Intrinsic(IntrinsicField field, CompareOp op, String value) implements SpanFilter {
    public Intrinsic {
      requireNonNull(field, "field");
      requireNonNull(op, "op");
      requireNonNull(value, "value");
      boolean regex = op == CompareOp.REGEX || op == CompareOp.NOT_REGEX;
      boolean order = op == CompareOp.GT || op == CompareOp.GE || op == CompareOp.LT || op == CompareOp.LE;
      if (field == IntrinsicField.DURATION) {
        if (regex) {
          throw new InvalidInputException("duration " + op + " (expected: = != > >= < <=)");
        }
        try {
          Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new InvalidInputException("duration: '" + value + "' (expected: nanoseconds as an integer)");
        }
      } else if (order || (regex && (field == IntrinsicField.STATUS || field == IntrinsicField.KIND))) {
        throw new InvalidInputException(field.name().toLowerCase() + " " + op + " (expected: "
            + (field == IntrinsicField.STATUS || field == IntrinsicField.KIND ? "= or !=" : "= != =~ !~") + ")");
      }
    }
  }

  /** Every filter matches the same span. */
  record And(List<SpanFilter> filters) implements SpanFilter {
    public And {
      filters = List.copyOf(filters);
      if (filters.isEmpty()) {
        throw new InvalidInputException("and: no filters (expected: at least one)");
      }
    }
  }

  /** At least one filter matches the span. */
  record Or(List<SpanFilter> filters) implements SpanFilter {
    public Or {
      filters = List.copyOf(filters);
      if (filters.isEmpty()) {
        throw new InvalidInputException("or: no filters (expected: at least one)");
      }
    }
  }
}
