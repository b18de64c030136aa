package io.loupe.model;

/**
 * Iterates the samples of one series in time order without allocating per sample. Call {@link #next} before the first
 * read. Float samples only for now; native histograms will add a value-type method with a default.
 */
public interface SampleIterator {
  SampleIterator EMPTY = new SampleIterator() {
    @Override
    public boolean next() {
      return false;
    }

    @Override
    public boolean seek(long t) {
      return false;
    }

    @Override
    public long timestamp() {
      throw new IllegalStateException("empty iterator");
    }

    @Override
    public double value() {
      throw new IllegalStateException("empty iterator");
    }
  };

  /** Advances to the next sample; false when there is none. */
  boolean next();

  /**
   * Advances to the first sample at or after {@code t} (staying put if the current sample already is); false when
   * there is none. May be called before {@link #next}.
   */
  boolean seek(long t);

  long timestamp();

  double value();
}
