package io.loupe.model;

/** One selected series: its labels and a fresh iterator over its samples in the selected time range. */
public interface Series {
  Labels labels();

  SampleIterator iterator();
}
