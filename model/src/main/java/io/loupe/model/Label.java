package io.loupe.model;

import static java.util.Objects.requireNonNull;

/** One label pair of a series. */
public record Label(String name, String value) {
  public Label {
    requireNonNull(name, "name");
    requireNonNull(value, "value");
  }
}
