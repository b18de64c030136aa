package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** The exemplars of one series, oldest first. */
public record SeriesExemplars(Labels seriesLabels, List<Exemplar> exemplars) {
  public SeriesExemplars {
    requireNonNull(seriesLabels, "seriesLabels");
    exemplars = List.copyOf(exemplars);
  }
}
