package io.loupe.model;

/**
 * Marks an attribute map whose content never changes once built, such as the OTLP decoder's: a store may take one
 * instance to stand for the same content wherever it meets it again (and keep it as a key without copying it).
 * Implement it only on a map that is immutable in fact, contents included.
 */
public interface FixedAttributes {}
