package io.loupe.model;

/**
 * Comparison of a span field with a value, as TraceQL spells them: {@code = != =~ !~ > >= < <=}. {@code !=} and
 * {@code !~} need the field to be present; {@code =~} and {@code !~} match the whole value (Lucene regular expression
 * syntax, anchored); order comparisons apply to numeric attributes and to duration.
 */
public enum CompareOp { EQ, NE, REGEX, NOT_REGEX, GT, GE, LT, LE }
