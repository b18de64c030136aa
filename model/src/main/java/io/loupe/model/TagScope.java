package io.loupe.model;

/** Where an attribute lives: the span's resource, the span itself, or either (TraceQL's unscoped {@code .name}). */
public enum TagScope { RESOURCE, SPAN, ANY }
